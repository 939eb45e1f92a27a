import { useCallback, useEffect, useReducer, useRef } from 'react';
import { describeError } from '../../src/core/errors.js';
import { runStep, type Step, type StepContext } from '../../src/core/step.js';
import { initialStepRunState, stepRunReducer, type StepRunState } from './step-state.js';

/**
 * Runs a step from a screen: events go through the pure reducer; `cancel()` aborts only this step (the
 * screen stays open and shows "cancelled"). Unmounting cancels a step still running.
 */
export function useStep<I, O>(step: Step<I, O>, ctx: StepContext): {
  state: StepRunState<O>;
  start(input: I, opts?: { force?: boolean }): void;
  cancel(): void;
} {
  const [state, dispatch] = useReducer(stepRunReducer<O>, initialStepRunState as StepRunState<O>);
  const controller = useRef<AbortController | undefined>(undefined);

  const start = useCallback(
    (input: I, opts: { force?: boolean } = {}) => {
      controller.current?.abort();
      const ac = new AbortController();
      controller.current = ac;
      // The step's signal follows both this screen's controller and the app-wide one (Ctrl-C).
      const signal = AbortSignal.any([ac.signal, ctx.signal]);
      dispatch({ type: 'start' });
      runStep(step, input, { ...ctx, signal, force: opts.force ?? ctx.force }, { onEvent: (event) => dispatch({ type: 'event', event }) }).then(
        (output) => dispatch({ type: 'done', output }),
        (e: unknown) => {
          const d = describeError(e);
          dispatch({ type: 'failed', error: { message: d.message, exitCode: d.exitCode, code: d.code, ...(d.hint ? { hint: d.hint } : {}) } });
        },
      );
    },
    [step, ctx],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  useEffect(() => () => controller.current?.abort(), []);
  return { state, start, cancel };
}

/**
 * Leaving a step screen (Esc, q) cancels what it started, then goes back: a running step stops at its next
 * cancellation point; a finished one is untouched.
 */
export function useCancelOnBack(back: boolean, onBack: () => void, ...runs: { cancel(): void }[]): void {
  useEffect(() => {
    if (!back) return;
    for (const r of runs) r.cancel();
    onBack();
  }, [back]); // eslint-disable-line react-hooks/exhaustive-deps
}
