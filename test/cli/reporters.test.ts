import { describe, expect, it } from 'vitest';
import { HumanReporter } from '../../src/cli/reporters.js';

describe('human reporter on a pipe', () => {
  it('prints a finished phase once, however often it is reported', () => {
    const out: string[] = [];
    const r = new HumanReporter((s) => out.push(s), () => {}, false);
    for (let i = 0; i < 40; i++) r.event({ type: 'progress', step: 'validate', phase: 'index', done: 0, total: 0, unit: 'images' });
    r.event({ type: 'progress', step: 'validate', phase: 'hash', done: 5, total: 5, unit: 'images' });
    expect(out.filter((l) => l.includes('index:'))).toHaveLength(1);
    expect(out.filter((l) => l.includes('hash:'))).toHaveLength(1);
  });

  it('never writes escape codes when stdout is not a TTY', () => {
    const out: string[] = [];
    const r = new HumanReporter((s) => out.push(s), (s) => out.push(s), false);
    r.event({ type: 'step-start', step: 's', title: 'Step' });
    r.event({ type: 'progress', step: 's', done: 1, total: 2, unit: 'img', rate: 3, etaSeconds: 1 });
    r.event({ type: 'warning', step: 's', code: 'w', message: 'careful' });
    expect(out.join('')).not.toMatch(/\u001b/);
  });
});
