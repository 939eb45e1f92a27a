import { InputError } from '../core/errors.js';
import type { SplitRatios } from './split-assign.js';

export interface SplitSettings extends SplitRatios {
  seed: string;
}

export type SplitOverrides = Partial<SplitSettings>;

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * Config values (config.split) with command-line or screen overrides on top. When only some ratios are
 * given, train takes up the rest (or, with train given, the one held-out ratio left out does), so
 * `--validation 0.2` alone means 70/20/10 rather than an error.
 */
export function resolveSplitSettings(base: SplitSettings, over: SplitOverrides = {}): SplitSettings {
  const s: SplitSettings = { ...base, ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) };
  for (const k of ['train', 'validation', 'test'] as const) {
    const v = s[k];
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      throw new InputError(`The ${k} ratio must be a number from 0 to 1, got ${String(v)}.`, {
        code: 'split.ratio_range',
        item: `--${k}`,
        hint: 'Give ratios as fractions, e.g. --train 0.8 --validation 0.1 --test 0.1.',
      });
    }
  }
  const givenHeldOut = over.validation !== undefined || over.test !== undefined;
  if (over.train === undefined && givenHeldOut) s.train = 1 - s.validation - s.test;
  else if (over.train !== undefined && over.validation === undefined && over.test !== undefined) s.validation = 1 - s.train - s.test;
  else if (over.train !== undefined && over.test === undefined && over.validation !== undefined) s.test = 1 - s.train - s.validation;
  else if (over.train !== undefined && !givenHeldOut) {
    // Only --train: keep validation:test in their configured proportion.
    const rest = s.validation + s.test;
    const share = rest > 0 ? s.validation / rest : 0.5;
    s.validation = (1 - s.train) * share;
    s.test = 1 - s.train - s.validation;
  }
  s.train = round(s.train);
  s.validation = round(s.validation);
  s.test = round(s.test);
  const sum = s.train + s.validation + s.test;
  if (s.train <= 0 || s.validation < 0 || s.test < 0 || Math.abs(sum - 1) > 1e-6) {
    throw new InputError(`Split ratios train ${s.train} + validation ${s.validation} + test ${s.test} must each be 0 to 1, with train above 0, and add up to 1.`, {
      code: 'split.ratios',
      item: 'split ratios',
      hint: 'Pass all three, e.g. --train 0.8 --validation 0.1 --test 0.1 (or set "split" in edgewise.json).',
    });
  }
  if (!s.seed) throw new InputError('The split seed is empty.', { code: 'split.seed', item: '--seed', hint: 'Pass --seed with any non-empty text.' });
  return s;
}
