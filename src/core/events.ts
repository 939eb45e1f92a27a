/**
 * What a step tells the outside world while it runs. The wizard renders these as bars and panes; the
 * headless reporter prints them as lines or NDJSON. Steps never print.
 */
export type StepEvent =
  | ProgressEvent
  | { type: 'log'; message: string; level?: 'info' | 'debug' }
  | { type: 'warning'; code: string; message: string; item?: string }
  /** Remote or long-running state (a Vertex pipeline, a training epoch...). `data` is free-form. */
  | { type: 'status'; state: string; message?: string; data?: Record<string, unknown> }
  | { type: 'artifact'; path: string; kind?: string; description?: string }
  /** A named number as it evolves (training loss per epoch, a finding counter). Not `step`: the runner tags events with the step name. */
  | { type: 'metric'; name: string; value: number; iteration?: number };

export interface ProgressEvent {
  type: 'progress';
  /** Phase within the step, e.g. `scan`, `hash`, `index`. */
  phase?: string;
  done: number;
  total: number;
  unit: string;
  /** Units per second since the phase started. */
  rate?: number;
  /** Seconds left at the current rate. */
  etaSeconds?: number;
}

export type StepEventType = StepEvent['type'];

/** An event as it leaves the runner: tagged with the step that emitted it. */
export type TaggedEvent = StepEvent & { step: string };
