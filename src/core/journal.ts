import { readFileSync, existsSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic.js';
import { InputError } from './errors.js';

export interface StepRecord {
  /** Fingerprint of everything the step read: a rerun with the same fingerprint is skipped. */
  inputsHash: string;
  finishedAt: string;
  /** The step's JSON output, returned again when the step is skipped. */
  output: unknown;
  /** Files the step wrote (workspace-relative); if one is gone the step runs again. */
  artifacts: string[];
}

export interface JournalData {
  version: 1;
  steps: Record<string, StepRecord>;
  /** Remote resource names (Vertex dataset, pipeline, model, operations), recorded the moment they exist. */
  resources: Record<string, unknown>;
}

/**
 * The run journal (`.edgewise/journal.json`): what finished, with which inputs, and which remote resources
 * exist. Every change is written at once and atomically, so a dropped SSH session or a kill loses nothing
 * and never leaves it corrupt.
 */
export class Journal {
  private data: JournalData;
  constructor(readonly path: string) {
    this.data = Journal.read(path);
  }

  private static read(path: string): JournalData {
    if (!existsSync(path)) return { version: 1, steps: {}, resources: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new InputError(`The run journal ${path} is not valid JSON.`, {
        item: path,
        hint: 'It is only ever written atomically, so it was edited by hand: fix it or delete it (steps will run again).',
        cause: e,
      });
    }
    const d = parsed as Partial<JournalData>;
    return { version: 1, steps: d.steps ?? {}, resources: d.resources ?? {} };
  }

  /** Re-reads the file: another process (a detached watcher, a second terminal) may have written it. */
  reload(): void {
    this.data = Journal.read(this.path);
  }

  step(name: string): StepRecord | undefined {
    return this.data.steps[name];
  }

  get steps(): Readonly<Record<string, StepRecord>> {
    return this.data.steps;
  }

  recordStep(name: string, record: StepRecord): void {
    this.reload();
    this.data.steps[name] = record;
    this.save();
  }

  forgetStep(name: string): void {
    this.reload();
    delete this.data.steps[name];
    this.save();
  }

  resource<T = unknown>(key: string): T | undefined {
    return this.data.resources[key] as T | undefined;
  }

  setResource(key: string, value: unknown): void {
    this.reload();
    if (value === undefined) delete this.data.resources[key];
    else this.data.resources[key] = value;
    this.save();
  }

  private save(): void {
    writeFileAtomicSync(this.path, JSON.stringify(this.data, null, 2) + '\n');
  }
}
