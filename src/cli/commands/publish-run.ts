import type { CommandOutcome, Harness } from '../harness.js';
import { decimal } from '../../core/text.js';

export interface PublishRunOptions {
  model?: string;
  forceUnevaluated?: boolean;
  registry?: string;
  /** Publish without asking on a terminal. */
  yes?: boolean;
  /** Which model file of the run ships (float32, int8-weights, int8); default: the evaluation's pick. */
  variant?: string;
}


/**
 * `edgewise publish` (and `tune --publish`): show the live version against what would ship (thresholds,
 * coverage, selective accuracy, top-1...), ask on a terminal, then publish. With no one to ask (--no-input,
 * --json, pipes, CI) only --yes publishes: without it the same comparison is printed, so the script's log
 * shows what would have shipped, and the command refuses (exit 2) with nothing changed.
 */
export async function runPublish(h: Harness, opts: PublishRunOptions): Promise<CommandOutcome> {
  const { CancelledError, InputError } = await import('../../core/errors.js');
  const { publishPlanStep, planTable, planVerdict } = await import('../../registry/plan.js');
  const { publishStep } = await import('../../registry/publish.js');
  const input = { ...(opts.model ? { model: opts.model } : {}), ...(opts.variant ? { variant: opts.variant } : {}), forceUnevaluated: Boolean(opts.forceUnevaluated) };
  const flags = opts.registry ? { registry: opts.registry } : {};
  const plan = await h.run(publishPlanStep, input, flags);
  const verdict = planVerdict(plan);
  if (h.json) h.reporter.event({ type: 'status', step: 'publish', state: `plan:${verdict.kind}`, message: verdict.text, data: { plan } });
  else for (const line of [...planTable(plan).split('\n'), verdict.text]) h.reporter.event({ type: 'log', step: 'publish', message: line });
  if (verdict.kind === 'nothing') {
    return { output: { status: 'already-published', version: plan.version, run: plan.run, active: plan.current?.version }, human: verdict.text };
  }
  const question = verdict.kind === 'reactivate' ? `Make ${plan.version} active again?` : `Publish ${plan.version} and make it active?`;
  if (!opts.yes && !h.interactive) {
    const { detectTerminal } = await import('../terminal.js');
    const t = detectTerminal();
    const why = h.json ? '--json' : !t.stdinTTY ? 'input is not a terminal' : !t.stdoutTTY ? 'output is not a terminal' : t.ci ? 'CI is set' : t.dumb ? 'TERM=dumb' : '--no-input';
    throw new InputError(`Not published: no one to ask "${question}" (${why}) and no --yes. Nothing changed.`, {
      code: 'publish.needs_yes', item: '--yes',
      hint: `To ship what the table above shows from a script, run the same command with --yes (-y).`,
    });
  }
  if (!opts.yes) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm({ message: question, default: false });
    if (!ok) throw new CancelledError('Not published: nothing changed.');
  }
  const out = await h.run(publishStep, input, flags);
  let human: string;
  if (out.status === 'already-published') {
    human = `Run ${out.run} is already published as ${out.version}${out.active === out.version ? ' (active)' : `; make it active with: edgewise rollback --to ${out.version}`}.`;
  } else if (out.status === 'reactivated') {
    human = `${out.version} (run ${out.run}) is active again${out.previous ? ` (was ${out.previous})` : ''}.\nUndo with: edgewise rollback`;
  } else {
    const m = out.modelJson!;
    human = [
      `Published run ${out.run} as ${out.version} and made it active${out.previous ? ` (was ${out.previous})` : ''}.`,
      `  ${m.tflite_url}  sha256 ${m.tflite_sha256.slice(0, 12)}…  (${m.model_variant ?? 'float32'}; input ${String(m.input.dtype)})`,
      `  top1 ${decimal(m.metrics.top1)} · top3 ${decimal(m.metrics.top3)} · ece ${decimal(m.metrics.ece)} · tau ${decimal(m.thresholds.tau)} · margin ${decimal(m.thresholds.margin)} · T ${m.temperature.toFixed(2)}`,
      out.previous ? `Undo with: edgewise rollback` : `See all versions: edgewise versions`,
    ].join('\n');
  }
  return { output: out, human };
}
