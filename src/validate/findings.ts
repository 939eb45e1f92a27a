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

/** Collects findings in the order they are found; counts feed the screen's counters. */
export class Findings {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];

  add(severity: Severity, f: Finding): SeverityFinding {
    const clean: Finding = { code: f.code, item: f.item, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message, ...(f.hint ? { hint: f.hint } : {}) };
    (severity === 'error' ? this.errors : this.warnings).push(clean);
    return { ...clean, severity };
  }

  error(f: Finding): SeverityFinding {
    return this.add('error', f);
  }

  warning(f: Finding): SeverityFinding {
    return this.add('warning', f);
  }

  addAll(list: SeverityFinding[]): void {
    for (const f of list) this.add(f.severity, f);
  }
}
