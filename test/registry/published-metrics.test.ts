import { describe, expect, it } from 'vitest';
import { publishedMetrics, type PublishInputs } from '../../src/registry/inputs.js';

const inputs = (metrics: Record<string, unknown>, thresholds: Record<string, unknown>): PublishInputs =>
  ({ metrics, thresholds }) as unknown as PublishInputs;

describe('model.json metrics', () => {
  it('report the ECE at the shipped temperature, with the raw ECE beside it', () => {
    const m = publishedMetrics(inputs({ top1: 0.87, top3: 1, ece: 0.107, ece_after_temperature: 0.164, temperature: 1.86 }, { temperature: 1.86, coverage: 0.8, selective_accuracy: 0.95 }));
    expect(m).toEqual({ top1: 0.87, top3: 1, ece: 0.164, ece_before_temperature: 0.107, coverage: 0.8, selective_accuracy: 0.95 });
  });

  it('report the raw ECE when no temperature is shipped', () => {
    const m = publishedMetrics(inputs({ top1: 0.9, top3: 1, ece: 0.05, ece_after_temperature: 0.05, temperature: 1 }, { temperature: 1, coverage: 0.7, selective_accuracy: 0.97 }));
    expect(m).toEqual({ top1: 0.9, top3: 1, ece: 0.05, coverage: 0.7, selective_accuracy: 0.97 });
  });
});

describe('publishing a version that answers worse than the live one', () => {
  it('warns, names the live version and still publishes', async () => {
    const { makeWorkspace, writeRun } = await import('./fixtures.js');
    const { publish } = await import('../../src/registry/publish.js');
    const w = makeWorkspace();
    try {
      writeRun(w.root, 'v001', { top1: 0.9 });
      await publish(w.ws, {});
      writeRun(w.root, 'v002', { top1: 0.7, model: 'TFL3 a weaker model' });
      const events: Array<{ type: string; code?: string; item?: string; message?: string }> = [];
      const r = await publish(w.ws, {}, (e) => events.push(e));
      expect(r.version).toBe('v002');
      const warn = events.filter((e) => e.code === 'publish.worse_than_active');
      expect(warn).toHaveLength(1);
      expect(warn[0]).toMatchObject({ item: 'v001' });
      expect(warn[0]!.message).toContain('top1 0.700 is lower than the live v001');

      // Better than the live one: no warning.
      writeRun(w.root, 'v003', { top1: 0.95, model: 'TFL3 a stronger model' });
      const again: string[] = [];
      await publish(w.ws, {}, (e) => again.push(e.type === 'warning' ? e.code : e.type));
      expect(again).not.toContain('publish.worse_than_active');
    } finally {
      w.cleanup();
    }
  });
});
