import type { Harness } from '../harness.js';
import { EdgewiseError } from '../../core/errors.js';
import { percent } from '../../core/text.js';
import { tuneStep, type TuneOutput } from '../../tune/step.js';

/**
 * `edgewise demo`'s tune stage: the highest coverage at the configured target (0.95 by default); a small
 * synthetic set may not reach it, so the demo steps the target down rather than stopping.
 */
export async function runTuneDemoStage(h: Harness): Promise<string> {
  const settings = h.context().config.tune;
  const targets = [settings.targetAccuracy, 0.9, 0.8, 0.7].filter((t, i, a) => t <= settings.targetAccuracy && a.indexOf(t) === i);
  let out: TuneOutput | undefined;
  for (const target of targets) {
    try {
      out = await h.run(tuneStep, { targetAccuracy: target, split: settings.split });
      break;
    } catch (e) {
      if (!(e instanceof EdgewiseError && e.code === 'tune.unreachable')) throw e;
      h.reporter.event({ type: 'warning', step: 'tune', code: 'tune.unreachable', message: `${percent(target)} selective accuracy is out of reach; trying a lower target.` });
    }
  }
  if (!out) return 'no target down to 70% selective accuracy was reachable; thresholds not saved';
  const m = out.measured_on;
  return `tau ${out.tau.toFixed(2)}, margin ${out.margin.toFixed(2)} for >= ${percent(out.target)} selective accuracy: ${m.split} coverage ${percent(m.coverage)}, selective accuracy ${percent(m.selective_accuracy)} (top-1 ${percent(m.top1)}) → ${out.saved ?? '(not saved)'}`;
}
