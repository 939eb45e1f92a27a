import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/evaluate/html-report.js';
import { buildMetrics } from '../../src/evaluate/summary.js';
import type { PredictionsFile } from '../../src/evaluate/types.js';

/** Three classes: "ant" always right and sure (its confusion row is one dark-blue cell), the others mixed. */
function predictionsFile(): PredictionsFile {
  const labels = ['ant', 'bee', '<wasp & co>'];
  const split = (offset: number): PredictionsFile['test'] => {
    const images: string[] = [];
    const truth: number[] = [];
    const probs: number[][] = [];
    for (let i = 0; i < 60; i++) {
      const t = i % 3;
      images.push(`${labels[t]}_${offset + i}.jpg`);
      truth.push(t);
      if (t === 0) probs.push([0.97, 0.02, 0.01]);
      else {
        const wrong = (i * 7 + offset) % 4 === 0;
        const top = wrong ? 3 - t : t;
        const p = [0.02, 0.02, 0.02];
        p[top] = 0.9 + ((i % 5) * 0.01);
        p[3 - top] = 1 - p[top]! - 0.02;
        probs.push(p);
      }
    }
    return { images, truth, probs };
  };
  return { version: 'v007', labels, temperature: 1, test: split(0), validation: split(1) };
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Pixels within ±tol of an RGB colour. */
async function countColour(png: string, rgb: [number, number, number], tol = 4): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i]! - rgb[0]) <= tol && Math.abs(data[i + 1]! - rgb[1]) <= tol && Math.abs(data[i + 2]! - rgb[2]) <= tol) n++;
  }
  return n;
}

describe('HTML report', () => {
  const metrics = buildMetrics(predictionsFile(), { modelPath: 'ml/models/v007/model.tflite', tfliteSha256: 'ab'.repeat(32), createdAt: '2026-01-01T00:00:00Z' });
  const html = renderHtmlReport(metrics);

  it('is self-contained and escapes labels', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="reliability"');
    expect(html).toContain('id="confusion"');
    expect(html).toContain('&lt;wasp &amp; co&gt;');
    expect(html).not.toContain('<wasp');
    // No script and nothing fetched: the only URL is the SVG namespace.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html.match(/https?:\/\/[^"]+/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  // Needs Debian's `chromium` (CI installs it). Deliberately fails, not skips, when it is missing.
  it('renders in headless Chromium without errors, and the screenshot shows both charts', async () => {
    expect(CHROMIUM, 'Debian package `chromium` is required for this test (apt-get install -y chromium)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-html-'));
    try {
      const page = join(dir, 'report.html');
      const png = join(dir, 'shot.png');
      writeFileSync(page, html);
      const { stderr } = await promisify(execFile)(
        CHROMIUM!,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--enable-logging=stderr', '--v=0',
          `--screenshot=${png}`, '--window-size=1200,1600', `file://${page}`,
        ],
        { timeout: 90_000 },
      );
      // Page problems (console errors, failed loads) show up as CONSOLE / net errors in Chromium's log.
      expect(stderr).not.toMatch(/CONSOLE|Uncaught|net::ERR_/);
      expect(existsSync(png)).toBe(true);
      // Reliability chart: its accuracy bars are #3b7dd8. Confusion chart: ant's all-correct cell is hsl(210,70%,35%) = rgb(27,89,152).
      expect(await countColour(png, [0x3b, 0x7d, 0xd8])).toBeGreaterThan(2000);
      expect(await countColour(png, [27, 89, 152])).toBeGreaterThan(800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
