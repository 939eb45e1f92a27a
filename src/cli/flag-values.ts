import { InvalidArgumentError } from 'commander';

/**
 * Flag value parsers for commander's Option.argParser(): a bad value stops the command before it does anything,
 * with commander's usage error (exit code 2, and with --json an NDJSON error naming the flag: main.ts).
 * Fixed sets of words use Option.choices() instead.
 */

/** A number; `what` completes "--flag must be …" and `example` is a valid value. */
function numberParser(flag: string, what: string, example: string, ok: (n: number) => boolean, percent = false) {
  return (raw: string): number => {
    const text = raw.trim();
    const isPercent = percent && text.endsWith('%');
    const n = Number(isPercent ? text.slice(0, -1) : text);
    const value = isPercent ? n / 100 : n;
    if (text === '' || !Number.isFinite(n) || !ok(value)) throw new InvalidArgumentError(`${flag} must be ${what}, got "${raw}" (e.g. ${flag} ${example}).`);
    return value;
  };
}

/** A whole number from `min` to `max` (inclusive). */
export function wholeNumber(flag: string, min: number, max: number, example: string, unit = 'a whole number') {
  const what = max === Infinity ? `${unit} of at least ${min}` : `${unit} from ${min} to ${max}`;
  return numberParser(flag, what, example, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** A probability-like value in [0, 1]. */
export function unitInterval(flag: string, example = '0.95') {
  return numberParser(flag, 'a number from 0 to 1', example, (n) => n >= 0 && n <= 1);
}

/** A share in [0, 1], written as 0.1 or 10%. Range against the other shares is the split's to judge. */
export function share(flag: string) {
  return numberParser(flag, 'a number from 0 to 1', '0.1 (or 10%)', () => true, true);
}

/** Any finite number (the config schema checks its range). */
export function anyNumber(flag: string, example: string) {
  return numberParser(flag, 'a number', example, () => true);
}

/** The training backends, for Option.choices(). */
export const BACKENDS = ['local', 'vertex'] as const;
