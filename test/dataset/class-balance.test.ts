import { describe, expect, it } from 'vitest';
import { checkBalance, countLabels } from '../../src/dataset/class-balance.js';

const opts = { smallClass: 50, maxImbalance: 10, item: 'manifest.csv' };
const codes = (counts: Record<string, number>, backend: 'local' | 'vertex') => checkBalance(counts, { ...opts, backend }).map((f) => `${f.severity}:${f.code}:${f.item}`);

describe('class balance', () => {
  it('counts labels in sorted order', () => {
    expect(countLabels(['b', 'a', 'b'])).toEqual({ a: 1, b: 2 });
  });

  it('fewer than 10 images in a label is an error for Vertex, a warning locally', () => {
    expect(codes({ a: 9, b: 60 }, 'vertex')).toEqual(['error:balance.too_few_images:a']);
    expect(codes({ a: 9, b: 60 }, 'local')).toEqual(['warning:balance.too_few_images:a']);
  });

  it('warns about small classes and a high imbalance ratio', () => {
    expect(codes({ a: 20, b: 300 }, 'vertex')).toEqual(['warning:balance.small_class:a', 'warning:balance.imbalance:manifest.csv']);
    expect(codes({ a: 100, b: 900 }, 'vertex')).toEqual([]);
  });

  it('a single label cannot train a classifier', () => {
    expect(codes({ a: 100 }, 'local')).toEqual(['error:balance.too_few_labels:manifest.csv']);
  });
});
