import { describe, expect, it } from 'vitest';
import { buildMetrics } from '../../src/evaluate/summary.js';
import { confusionLines, hbar, reliabilityLines, renderTerminalReport, shade, sortWorstFirst } from '../../src/evaluate/terminal-report.js';
import type { PredictionsFile } from '../../src/evaluate/types.js';

function predictions(K: number, n: number): PredictionsFile {
  const labels = Array.from({ length: K }, (_, k) => `class-${k}-with-a-long-name`);
  const split = (seed: number): PredictionsFile['test'] => {
    const images: string[] = [];
    const truth: number[] = [];
    const probs: number[][] = [];
    for (let i = 0; i < n; i++) {
      const t = i % K;
      const wrong = (i * 13 + seed) % 5 === 0;
      const top = wrong ? (t + 1) % K : t;
      const conf = 0.5 + ((i * 7) % 50) / 100;
      images.push(`img_${seed}_${i}.jpg`);
      truth.push(t);
      probs.push(Array.from({ length: K }, (_, k) => (k === top ? conf : (1 - conf) / (K - 1))));
    }
    return { images, truth, probs };
  };
  return { version: 'v003', labels, temperature: 1, test: split(1), validation: split(2) };
}

describe('terminal report pieces', () => {
  it('bars use eighth blocks', () => {
    expect(hbar(0, 10)).toBe('');
    expect(hbar(1, 10)).toBe('█'.repeat(10));
    expect(hbar(0.5, 4)).toBe('██');
    expect(hbar(0.125, 4)).toBe('▌');
    expect(hbar(0.0625, 4)).toBe('▎');
  });

  it('shades by quarters', () => {
    expect([0, 0.1, 0.3, 0.6, 0.9].map(shade).join('')).toBe('·░▒▓█');
  });

  it('sorts classes worst first, undefined F1 last', () => {
    const rows = [
      { label: 'a', precision: 1, recall: 1, f1: 1, support: 3, predicted: 3 },
      { label: 'b', precision: null, recall: null, f1: null, support: 0, predicted: 0 },
      { label: 'c', precision: 0.5, recall: 0.2, f1: 0.29, support: 5, predicted: 2 },
      { label: 'd', precision: 0, recall: null, f1: 0, support: 0, predicted: 1 },
    ];
    expect(sortWorstFirst(rows).map((r) => r.label)).toEqual(['d', 'c', 'a', 'b']);
  });

  it('marks mean confidence with │ at its position and shows empty bins as –', () => {
    const lines = reliabilityLines(
      [
        { lo: 0, hi: 0.5, count: 0, accuracy: null, confidence: null },
        { lo: 0.5, hi: 1, count: 4, accuracy: 0.5, confidence: 0.75 },
      ],
      80,
    );
    expect(lines[1]).toMatch(/^0\.00–0\.50 +0 +–$/);
    const bar = lines[2]!.slice(19);
    expect(bar.indexOf('│')).toBe(30); // 0.75 × 40 columns
    expect(bar.slice(0, 20)).toBe('█'.repeat(20)); // accuracy 0.5
    expect(lines[2]).toMatch(/0\.50 vs 0\.75$/);
  });

  it('confusion heatmap keeps the classes with most mistakes when too wide', () => {
    const K = 40;
    const m = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 10 : i === 7 && j === 3 ? 5 : 0)));
    const lines = confusionLines(Array.from({ length: K }, (_, k) => `c${k}`), m, 60);
    expect(lines[0]).toMatch(/showing the \d+ of 40 classes/);
    expect(lines.some((l) => l.startsWith(' 4 c3'))).toBe(true);
    expect(lines.some((l) => l.startsWith(' 8 c7'))).toBe(true);
    for (const l of lines.slice(1)) expect([...l].length).toBeLessThanOrEqual(80);
  });

  it('renders every section within the width', () => {
    const m = buildMetrics(predictions(6, 90), { modelPath: 'm.tflite', tfliteSha256: '0'.repeat(64), createdAt: 'now' });
    for (const width of [60, 80, 120]) {
      const lines = renderTerminalReport(m, { width });
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(width);
      expect(lines.filter((l) => l.startsWith('■ '))).toHaveLength(5);
    }
    const lines = renderTerminalReport(m);
    expect(lines).toContain('■ Most confidently wrong');
    expect(lines.find((l) => l.startsWith('top-1 accuracy'))).toContain(m.top1.toFixed(3));
  });
});
