import { percent } from '../core/text.js';
import type { SplitOutput } from './split-step.js';

/** A target ratio: `70%`, or `12.5%` when it has a tenth. */
const ratio = (x: number): string => percent(x, Number.isInteger(Math.round(x * 1000) / 10) ? 0 : 1);

/** The per-class table and summary lines `edgewise split` prints for people. */
export function formatSplitReport(out: SplitOutput): string {
  const s = out.settings;
  const labelW = Math.max(5, ...out.classes.map((c) => c.label.length), 'total'.length);
  const head = ['class'.padEnd(labelW), 'train'.padStart(7), 'valid'.padStart(7), 'test'.padStart(7), 'total'.padStart(7)].join(' ');
  const line = (label: string, t: number, v: number, te: number, n: number): string =>
    [label.padEnd(labelW), String(t).padStart(7), String(v).padStart(7), String(te).padStart(7), String(n).padStart(7)].join(' ');
  const lines = [
    `Split ${out.images} images in ${out.groups} clusters (target ${ratio(s.train)} / ${ratio(s.validation)} / ${ratio(s.test)}, seed "${s.seed}"):`,
    '',
    head,
    ...out.classes.map((c) => line(c.label, c.counts.train, c.counts.validation, c.counts.test, c.total)),
    line('total', out.totals.train, out.totals.validation, out.totals.test, out.images),
    '',
    `Largest per-class deviation from target: ${out.maxDeviation} image${out.maxDeviation === 1 ? '' : 's'}.`,
    out.leaks.groups === 0
      ? 'Leakage check: no cluster of near-identical images spans two splits.'
      : `Leakage check: ${out.leaks.groups} cluster${out.leaks.groups === 1 ? '' : 's'} (${out.leaks.images} images) span splits as given by the manifest's split column.`,
  ];
  const c = out.changes;
  if (c.previous > 0) {
    lines.push(`Compared with the previous split: ${c.moved} moved, ${c.added} added, ${c.removed} removed${c.kept ? '' : ' (assigned afresh)'}.`);
  }
  if (out.minimums.length > 0) lines.push(`Per-class minimums: ${out.minimums.length} cluster${out.minimums.length === 1 ? '' : 's'} placed so every class has a validation and a test image.`);
  // No Vertex CSV and no reason given: the local backend without a bucket, which never needs one.
  const vertex = out.vertexCsv ? ` and ${out.vertexCsv}` : out.vertexSkipped ? ` (Vertex CSV skipped: ${out.vertexSkipped})` : '';
  lines.push(out.dryRun ? 'Dry run: nothing written.' : `Wrote ${out.splitsCsv}${vertex}.`);
  return lines.join('\n');
}

/** What to run after a split: on Vertex the images go up first (`train` would also upload, but say it plainly). */
export function nextAfterSplit(backend: 'local' | 'vertex'): string {
  return backend === 'vertex' ? 'Next: edgewise upload (then edgewise train --backend vertex)' : 'Next: edgewise train';
}
