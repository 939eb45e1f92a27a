import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { resolveSplitSettings } from '../../src/split/split-settings.js';

const base = { train: 0.8, validation: 0.1, test: 0.1, seed: 'edgewise' };

describe('resolveSplitSettings', () => {
  it('uses the config when nothing is given', () => {
    expect(resolveSplitSettings(base)).toEqual(base);
  });

  it('lets train take up the rest when only held-out ratios are given', () => {
    expect(resolveSplitSettings(base, { validation: 0.2 })).toMatchObject({ train: 0.7, validation: 0.2, test: 0.1 });
    expect(resolveSplitSettings(base, { validation: 0.15, test: 0.15 })).toMatchObject({ train: 0.7, validation: 0.15, test: 0.15 });
  });

  it('keeps the validation:test proportion when only train is given, and fills the one left out', () => {
    expect(resolveSplitSettings(base, { train: 0.6 })).toMatchObject({ train: 0.6, validation: 0.2, test: 0.2 });
    expect(resolveSplitSettings(base, { train: 0.7, test: 0.2 })).toMatchObject({ validation: 0.1 });
    expect(resolveSplitSettings(base, { seed: 'x' }).seed).toBe('x');
  });

  it('rejects ratios out of range or not adding up to 1, naming the flags', () => {
    expect(() => resolveSplitSettings(base, { validation: 1.5 })).toThrow(/validation ratio must be a number from 0 to 1/);
    const err = (() => {
      try {
        resolveSplitSettings(base, { train: 0.9, validation: 0.2, test: 0.2 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).hint).toContain('--train 0.8 --validation 0.1 --test 0.1');
    expect(() => resolveSplitSettings(base, { validation: 0.6, test: 0.4 })).toThrow(/train above 0/);
  });
});
