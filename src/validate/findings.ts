import type { StepEvent } from '../core/events.js';

/**
 * A problem validation found. `item` is the manifest path of the image (or the manifest itself), `line`
 * the manifest line (1-based, header is line 1) when there is one.
 */
export interface Finding {
  code: string;
  item: string;
  line?: number;
  message: string;
  hint?: string;
}

export type Severity = 'error' | 'warning';

export interface SeverityFinding extends Finding {
  severity: Severity;
}

/** Names of the finding counters sent as `metric` events while the step runs. */
export const VALIDATE_METRICS = ['errors', 'warnings', 'duplicates', 'conflicts'] as const;

/**
 * Collects findings in the order they are found, with the counters the screens show while the step runs
 * (the full list is in the report; the command prints it once at the end rather than between progress lines).
 */
export class Findings {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];
  /** Images dropped as duplicates; clusters whose members disagree on the label. */
  duplicates = 0;
  conflicts = 0;

  record(list: readonly SeverityFinding[]): void {
    for (const f of list) {
      const clean: Finding = { code: f.code, item: f.item, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message, ...(f.hint ? { hint: f.hint } : {}) };
      (f.severity === 'error' ? this.errors : this.warnings).push(clean);
    }
  }

  /** The counters so far, one `metric` event each. */
  metrics(): StepEvent[] {
    const value = { errors: this.errors.length, warnings: this.warnings.length, duplicates: this.duplicates, conflicts: this.conflicts };
    return VALIDATE_METRICS.map((name) => ({ type: 'metric', name, value: value[name] }));
  }
}
