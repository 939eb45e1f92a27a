import type { Harness } from '../harness.js';
import { readValidationReport, validateStep } from '../../validate/validate-step.js';
import { plural } from '../../core/text.js';

/**
 * `edgewise demo`'s validate stage: validates the synthetic workspace and says what it found, set against
 * the faults the generator planted (ground_truth.json) when that file is there.
 */
export async function runValidateDemoStage(h: Harness): Promise<string> {
  const out = await h.run(validateStep, {});
  const ctx = h.context();
  const report = await readValidationReport(ctx);
  const byCode = new Map<string, number>();
  for (const f of [...report.errors, ...report.warnings]) {
    if (f.code.startsWith('image.') || f.code.startsWith('duplicate.')) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
  }
  const found = [...byCode.entries()].map(([c, n]) => `${c}×${n}`).join(', ');
  let planted = '';
  try {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const gt = JSON.parse(await readFile(join(ctx.workspace.datasetDir, 'ground_truth.json'), 'utf8')) as { faults: unknown[] };
    planted = ` (${gt.faults.length} faults were planted)`;
  } catch {
    // Not a synthetic workspace.
  }
  const s = out.summary;
  return `${s.images} images: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}${planted}; ${found}; ${s.exactClusters} exact + ${s.nearClusters} near-duplicate clusters, ${s.labelConflicts} label conflict${s.labelConflicts === 1 ? '' : 's'}; ${s.kept} kept → ${ctx.workspace.rel(out.cleanManifestPath)}, ${ctx.workspace.rel(out.reportPath)}`;
}
