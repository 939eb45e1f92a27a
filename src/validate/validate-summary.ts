import type { Finding } from './findings.js';
import type { ValidationReport } from './validate-report.js';
import { plural } from '../core/text.js';


function groupByCode(list: Finding[]): Array<[string, Finding[]]> {
  const m = new Map<string, Finding[]>();
  for (const f of list) {
    const g = m.get(f.code);
    if (g) g.push(f);
    else m.set(f.code, [f]);
  }
  return [...m.entries()].sort((a, b) => b[1].length - a[1].length);
}

/** What `edgewise validate` prints for people: totals, errors in full (up to a cap), warnings by kind. */
export function formatValidateSummary(r: ValidationReport, reportPath: string, cleanPath: string, maxErrors = 25): string {
  const s = r.summary;
  const lines: string[] = [];
  lines.push(
    `Checked ${plural(s.rows, 'row')} from ${r.manifest}: ${s.kept} kept, ${s.dropped} duplicate${s.dropped === 1 ? '' : 's'} dropped, ${s.rejected} rejected ` +
      `(${s.hashed} hashed, ${s.cached} from cache).`,
  );
  lines.push(
    `Duplicates: ${plural(s.exactClusters, 'exact group')}, ${plural(s.nearClusters, 'near-duplicate cluster')}, ${plural(s.labelConflicts, 'label conflict')}` +
      (s.splitLeaks ? `, ${s.splitLeaks} across splits` : '') +
      '.',
  );
  const counts = Object.entries(r.classCounts);
  if (counts.length > 0) lines.push(`Classes: ${counts.map(([l, n]) => `${l} ${n}`).join(', ')}.`);
  if (Object.keys(r.labelMapping).length > 0) lines.push(`Label mapping applied: ${Object.entries(r.labelMapping).map(([a, b]) => `"${a}" → ${b}`).join(', ')}.`);
  if (r.errors.length > 0) {
    lines.push('', `${plural(r.errors.length, 'error')} (these images are left out of the cleaned manifest; fix them and rerun):`);
    for (const e of r.errors.slice(0, maxErrors)) {
      lines.push(`  ✗ ${e.item}${e.line ? ` (line ${e.line})` : ''}: ${e.line ? e.message.replace(/^line \d+: /, '') : e.message} [${e.code}]`);
      if (e.hint) lines.push(`    → ${e.hint}`);
    }
    if (r.errors.length > maxErrors) lines.push(`  … ${r.errors.length - maxErrors} more in ${reportPath}`);
  }
  if (r.warnings.length > 0) {
    lines.push('', `${plural(r.warnings.length, 'warning')}:`);
    for (const [code, list] of groupByCode(r.warnings)) {
      const ex = list.slice(0, 3).map((f) => f.item).join(', ');
      lines.push(`  ! ${code} × ${list.length}: ${ex}${list.length > 3 ? ', …' : ''}`);
    }
  }
  lines.push('', `Report: ${reportPath}`, `Cleaned manifest: ${cleanPath}`);
  lines.push(r.errors.length > 0 ? 'Fix the errors above, then run `edgewise validate` again.' : 'Next: edgewise split');
  return lines.join('\n');
}
