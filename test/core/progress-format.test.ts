import { describe, expect, it } from 'vitest';
import { formatBytes, formatCounts, formatDuration, formatRate } from '../../src/core/progress.js';

describe('progress text', () => {
  it('counts items with their unit, and bytes in the unit people read', () => {
    expect(formatCounts({ done: 120, total: 400, unit: 'img' })).toBe('120/400 img');
    expect(formatCounts({ done: 1_258_291, total: 4 * 1024 * 1024, unit: 'bytes' })).toBe('1.2 MB/4.0 MB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB');
    // Three figures at most, so a column 7 wide holds every size below a terabyte (the validate screen's).
    expect(formatBytes(12_697)).toBe('12.4 KB');
    expect(formatBytes(1023 * 1024)).toBe('1023 KB');
    expect(formatBytes(150 * 1024 ** 2)).toBe('150 MB');
    expect(formatBytes(Math.round(99.97 * 1024))).toBe('100 KB');
    expect(Math.max(...[1000, 102_400, 1_048_575, 104_857_600, 1024 ** 3 * 999].map((n) => formatBytes(n).length))).toBeLessThanOrEqual(7);
  });

  it('gives rates with sensible precision, bytes per second as bytes', () => {
    expect(formatRate(undefined, 'img')).toBe('');
    expect(formatRate(85.4, 'img')).toBe('85.4 img/s');
    expect(formatRate(1234.5, 'img')).toBe('1235 img/s');
    expect(formatRate(870_400, 'bytes')).toBe('850 KB/s');
  });

  it('writes durations as s, m:ss, h:mm', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });
});
