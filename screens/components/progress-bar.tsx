import { Text } from './text.js';
import type { ProgressEvent } from '../../src/core/events.js';
import { formatCounts, formatDuration, formatRate } from '../../src/core/progress.js';
import { theme } from '../theme.js';

/** `phase ████░░░░ 120/400 img 85 img/s ETA 3s` (bytes as `1.2 MB/4.0 MB 850.0 KB/s`), fitted to the given width. */
export function ProgressLine({ progress, width, label }: { progress: ProgressEvent; width: number; label?: string }) {
  const name = (label ?? progress.phase ?? '').padEnd(10).slice(0, 10);
  const counts = formatCounts(progress);
  const rate = formatRate(progress.rate, progress.unit);
  const eta = progress.etaSeconds !== undefined && progress.done < progress.total ? `ETA ${formatDuration(progress.etaSeconds)}` : '';
  const tail = [counts, rate, eta].filter(Boolean).join(' ');
  const barWidth = Math.max(5, width - name.length - tail.length - 3);
  const frac = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 1; // 0 of 0 is done
  const filled = Math.round(frac * barWidth);
  return (
    <Text>
      {name} <Text color={frac >= 1 ? theme.ok : theme.accent}>{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(barWidth - filled)}</Text> {tail}
    </Text>
  );
}
