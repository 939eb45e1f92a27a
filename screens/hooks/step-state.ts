import type { ProgressEvent, StepEvent } from '../../src/core/events.js';
import type { RunnerEvent } from '../../src/core/step.js';

/** Pure reducer over runner events: what a screen needs to draw a running step. */
export interface StepRunState<O = unknown> {
  status: 'idle' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';
  /** Latest progress per phase, in first-seen order. */
  phases: Array<{ phase: string; progress: ProgressEvent }>;
  /** Logs, warnings, statuses and artifacts, oldest first (render in <Static> or a scroll box). */
  lines: Array<Exclude<StepEvent, ProgressEvent | { type: 'metric' }>>;
  metrics: Record<string, Array<{ value: number; iteration?: number }>>;
  output?: O;
  error?: { message: string; hint?: string; exitCode: number; code?: string };
  skipReason?: string;
}

export const initialStepRunState: StepRunState = { status: 'idle', phases: [], lines: [], metrics: {} };

export type StepRunAction<O> =
  | { type: 'start' }
  | { type: 'event'; event: RunnerEvent }
  | { type: 'done'; output: O }
  | { type: 'failed'; error: { message: string; hint?: string; exitCode: number; code?: string } };

const MAX_LINES = 500;

export function stepRunReducer<O>(state: StepRunState<O>, action: StepRunAction<O>): StepRunState<O> {
  switch (action.type) {
    case 'start':
      return { ...(initialStepRunState as StepRunState<O>), status: 'running' };
    case 'done':
      return { ...state, status: state.status === 'skipped' ? 'skipped' : 'done', output: action.output };
    case 'failed':
      return { ...state, status: action.error.exitCode === 130 ? 'cancelled' : 'failed', error: action.error };
    case 'event': {
      const e = action.event;
      if (e.type === 'step-skip') return { ...state, status: 'skipped', skipReason: e.reason };
      if (e.type === 'step-start' || e.type === 'step-end') return state;
      if (e.type === 'progress') {
        const key = e.phase ?? '';
        const i = state.phases.findIndex((p) => p.phase === key);
        const phases = i < 0 ? [...state.phases, { phase: key, progress: e }] : state.phases.map((p, j) => (j === i ? { phase: key, progress: e } : p));
        return { ...state, phases };
      }
      if (e.type === 'metric') {
        const prev = state.metrics[e.name] ?? [];
        return { ...state, metrics: { ...state.metrics, [e.name]: [...prev, e.iteration === undefined ? { value: e.value } : { value: e.value, iteration: e.iteration }].slice(-200) } };
      }
      const { step: _s, ...line } = e;
      return { ...state, lines: [...state.lines, line as StepRunState['lines'][number]].slice(-MAX_LINES) };
    }
  }
}
