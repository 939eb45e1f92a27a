import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { CancelledError } from './errors.js';
import type { StepEvent, TaggedEvent } from './events.js';
import type { Journal } from './journal.js';
import type { Workspace } from './workspace.js';
import { assertWritable } from './writable.js';

export interface StepContext {
  signal: AbortSignal;
  workspace: Workspace;
  journal: Journal;
  config: Config;
  /** Rerun even when the journal says the inputs did not change. */
  force: boolean;
}

/**
 * A step of the job. `run` is an async generator: it yields events and returns its output, which must be
 * JSON-serialisable (the journal keeps it so a skipped step can return it again).
 */
export interface Step<I, O> {
  /** Journal key and event tag, e.g. `validate`. */
  name: string;
  title: string;
  /**
   * Fingerprint of everything the step reads (file hashes, settings). Same fingerprint as the last
   * finished run and all its artifacts still present: the step is skipped. Omit to always run.
   */
  fingerprint?(input: I, ctx: StepContext): Promise<string | undefined> | string | undefined;
  run(input: I, ctx: StepContext): AsyncGenerator<StepEvent, O, void>;
  /** Workspace-relative paths of the files the output refers to (checked before skipping). */
  artifacts?(output: O, ctx: StepContext): string[];
  /**
   * The folders this run writes to (the journal's folder included when it records itself). The runner
   * checks they can be written before the step starts, so a read-only workspace is refused by name with
   * nothing written. Empty (e.g. a dry run) or omitted: no check.
   */
  writes?(input: I, ctx: StepContext): string[];
}

export type RunnerEvent =
  | TaggedEvent
  | { type: 'step-start'; step: string; title: string }
  | { type: 'step-skip'; step: string; title: string; reason: string }
  | { type: 'step-end'; step: string; title: string; seconds: number };

export interface RunOptions {
  onEvent?: (e: RunnerEvent) => void;
}

/**
 * Runs one step: skip when the journal has the same fingerprint, otherwise drive the generator, tag and
 * forward its events, and record the output. Cancellation surfaces as CancelledError (exit 130).
 */
export async function runStep<I, O>(step: Step<I, O>, input: I, ctx: StepContext, opts: RunOptions = {}): Promise<O> {
  const emit = opts.onEvent ?? (() => {});
  const fp = step.fingerprint ? await step.fingerprint(input, ctx) : undefined;
  if (fp !== undefined && !ctx.force) {
    const prev = ctx.journal.step(step.name);
    if (prev && prev.inputsHash === fp && prev.artifacts.every((a) => existsSync(ctx.workspace.abs(a)))) {
      emit({ type: 'step-skip', step: step.name, title: step.title, reason: `up to date (finished ${prev.finishedAt}); --force to rerun` });
      return prev.output as O;
    }
  }
  const writes = step.writes?.(input, ctx) ?? [];
  if (writes.length > 0) await assertWritable(ctx.workspace, writes, step.title);
  emit({ type: 'step-start', step: step.name, title: step.title });
  const started = performance.now();
  const gen = step.run(input, ctx);
  let output: O;
  try {
    for (;;) {
      if (ctx.signal.aborted) {
        await gen.return(undefined as never);
        throw new CancelledError();
      }
      const r = await gen.next();
      if (r.done) {
        output = r.value;
        break;
      }
      emit({ ...r.value, step: step.name } as TaggedEvent);
    }
  } catch (e) {
    if (ctx.signal.aborted && !(e instanceof CancelledError)) throw new CancelledError();
    throw e;
  }
  if (ctx.signal.aborted) throw new CancelledError();
  if (fp !== undefined) {
    ctx.journal.recordStep(step.name, {
      inputsHash: fp,
      finishedAt: new Date().toISOString(),
      output,
      artifacts: step.artifacts ? step.artifacts(output, ctx) : [],
    });
  }
  emit({ type: 'step-end', step: step.name, title: step.title, seconds: (performance.now() - started) / 1000 });
  return output;
}

/** Collects every event and the output: for tests and for composing steps. */
export async function runStepCollect<I, O>(step: Step<I, O>, input: I, ctx: StepContext): Promise<{ output: O; events: RunnerEvent[] }> {
  const events: RunnerEvent[] = [];
  const output = await runStep(step, input, ctx, { onEvent: (e) => events.push(e) });
  return { output, events };
}
