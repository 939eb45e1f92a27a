import { describe, expect, it } from 'vitest';
import { checkBalance, countLabels } from '../../src/validate/class-balance.js';

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

describe('lookalike labels', () => {
  it('flags labels that differ only in case or separators, and small one-typo labels', async () => {
    const { lookalikeLabels } = await import('../../src/validate/class-balance.js');
    const found = lookalikeLabels({ ants: 19, antz: 1, bees: 19, Bees: 1, red_fox: 12, 'red-fox': 10 });
    expect(found.map((f) => [f.item, f.code, f.severity])).toEqual([
      ['antz', 'label.lookalike', 'warning'],
      ['Bees', 'label.lookalike', 'warning'],
      ['red-fox', 'label.lookalike', 'warning'],
    ]);
    expect(found[0]!.message).toContain('looks like a typo of "ants"');
  });

  it('leaves close but real classes alone (similar sizes, or short names)', async () => {
    const { lookalikeLabels } = await import('../../src/validate/class-balance.js');
    expect(lookalikeLabels({ cat: 20, car: 1, bear: 30, beer: 25, moth: 40, moths: 35 })).toEqual([]);
  });
});
