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
