import { describe, expect, it } from 'vitest';
import { formatBytes, formatCounts, formatDuration, formatRate } from '../../src/core/progress.js';

describe('progress text', () => {
  it('counts items with their unit, and bytes in the unit people read', () => {
    expect(formatCounts({ done: 120, total: 400, unit: 'img' })).toBe('120/400 img');
    expect(formatCounts({ done: 1_258_291, total: 4 * 1024 * 1024, unit: 'bytes' })).toBe('1.2 MB/4.0 MB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GB');
  });

  it('gives rates with sensible precision, bytes per second as bytes', () => {
    expect(formatRate(undefined, 'img')).toBe('');
    expect(formatRate(85.4, 'img')).toBe('85.4 img/s');
    expect(formatRate(1234.5, 'img')).toBe('1235 img/s');
    expect(formatRate(870_400, 'bytes')).toBe('850.0 KB/s');
  });

  it('writes durations as s, m:ss, h:mm', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });
});
