import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimal, NO_VALUE, percent } from '../../src/core/text.js';
import { sourceFiles } from '../architecture/imports.js';

const ROOT = join(import.meta.dirname, '../..');

describe('percent and decimal: one way to show a share or a metric', () => {
  it('formats a share with the digits asked, and one sign for a missing value', () => {
    expect(percent(0.1234)).toBe('12.3%');
    expect(percent(0.955, 0)).toBe('96%');
    expect(percent(1)).toBe('100.0%');
    expect(decimal(0.12345)).toBe('0.123');
    expect(decimal(12.345, 1)).toBe('12.3');
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(percent(v)).toBe(NO_VALUE);
      expect(decimal(v)).toBe(NO_VALUE);
    }
    expect(decimal('0.5')).toBe(NO_VALUE);
    expect(NO_VALUE).toBe('–');
  });

  it('no module in src/ or screens/ writes its own percent or missing-value sign', () => {
    const own: string[] = [];
    for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'screens'))]) {
      const rel = relative(ROOT, file);
      if (rel === join('src', 'core', 'text.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // `(x * 100).toFixed(n)}%` / `(100 * x).toFixed(n)} %`, and 'n/a' or a dash as a value.
          if (/(\*\s*100|100\s*\*)[^`]*\.toFixed\(\d\)\}\s?%/.test(line) || /\?\s*'(n\/a|—|–)'|\?\?\s*'(n\/a|—|–)'|:\s*'\s*(n\/a|—|–)'\)/.test(line)) own.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(own).toEqual([]);
  });
});
