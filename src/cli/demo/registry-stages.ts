import type { Harness } from '../harness.js';
import { readPublishInputs } from '../../registry/inputs.js';
import { decimal } from '../../core/text.js';

/**
 * `edgewise demo`'s registry stages: publish the tuned model, save stricter thresholds for it (tune) and
 * publish them as a second version (the same model), then roll back to the first. Rerunning the demo finds the
 * same content already published, so it adds no versions.
 */
export async function publishDemo(h: Harness): Promise<string> {
  const { publishStep } = await import('../../registry/publish.js');
  const out = await h.run(publishStep, {});
  const m = out.modelJson;
  return out.status === 'already-published'
    ? `run ${out.run} was already published as ${out.version}`
    : `run ${out.run} → ${out.version} (active): top1 ${decimal(m?.metrics.top1)}, tau ${decimal(m?.thresholds.tau)} → public/models/model.json, ${m?.tflite_url ?? ''}`;
}

export async function publishSecondDemo(h: Harness): Promise<string> {
  const { publishStep } = await import('../../registry/publish.js');
  const { tuneStep } = await import('../../tune/step.js');
  const inp = await readPublishInputs(h.context().workspace);
  // A stricter operating point: a higher tau answers less often but is wrong less often.
  const tau = inp.thresholds?.tau ?? 0.5;
  const stricter = Math.min(0.99, Math.round((tau + 0.1) * 100) / 100);
  const margin = inp.thresholds?.margin ?? 0;
  const tuned = await h.run(tuneStep, { model: inp.run, ...(stricter > tau ? { tau: stricter, margin } : { tau, margin: Math.min(0.99, margin + 0.05) }) });
  // Saving thresholds ships nothing: the explicit publish below makes them the next version (same .tflite).
  const shipped = await h.run(publishStep, { model: inp.run });
  const m = tuned.measured_on;
  const how = shipped.status === 'published' ? `published as ${shipped.version}` : shipped.status === 'reactivated' ? `${shipped.version} active again` : `already ${shipped.version}`;
  return `same model, stricter thresholds saved (${tuned.saved ?? 'not saved'}), then ${how}: tau ${decimal(tuned.tau)}, coverage ${decimal(m.coverage)}, selective accuracy ${decimal(m.selective_accuracy)}`;
}

export async function rollbackDemo(h: Harness): Promise<string> {
  const { rollbackStep } = await import('../../registry/rollback.js');
  const { versionsStep } = await import('../../registry/versions.js');
  const listed = await h.run(versionsStep, {});
  const first = listed.versions.find((v) => v.content_sha256 !== null)?.version;
  const out = await h.run(rollbackStep, first ? { to: first } : {});
  return out.status === 'already-active'
    ? `${out.version} is already active`
    : `rolled back ${out.from ?? 'none'} → ${out.version}: model.json, label_map.json and the model file restored from ml/registry/artifacts/${out.version}/ after SHA-256 checks`;
}
