import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/core/atomic.js';
import { createContext } from '../../src/core/context.js';
import { CancelledError, throwIfCancelled } from '../../src/core/errors.js';
import { hashValue } from '../../src/core/hash.js';
import { runStep, runStepCollect, type Step } from '../../src/core/step.js';
import { stepStates } from '../../src/core/status.js';
import { makeTempDir } from '../helpers/tmp.js';

/** A step that writes out.txt from its input and counts how often it really ran. */
function countingStep(counter: { runs: number }): Step<{ text: string }, { path: string }> {
  return {
    name: 'write',
    title: 'Write a file',
    fingerprint: (input) => hashValue(input),
    async *run(input, ctx) {
      counter.runs++;
      yield { type: 'progress', done: 0, total: 1, unit: 'file' };
      const path = join(ctx.workspace.root, 'out.txt');
      await writeFileAtomic(path, input.text);
      yield { type: 'artifact', path: 'out.txt' };
      return { path: 'out.txt' };
    },
    artifacts: (o) => [o.path],
  };
}

describe('the step runner and the journal', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('skips a step whose inputs did not change, reruns on change, on --force, and when an artifact is gone', async () => {
    const counter = { runs: 0 };
    const step = countingStep(counter);
    const ctx = createContext({ root: tmp.dir, env: {} });
    await runStep(step, { text: 'a' }, ctx);
    const second = await runStepCollect(step, { text: 'a' }, ctx);
    expect(counter.runs).toBe(1);
    expect(second.events[0]?.type).toBe('step-skip');
    expect(second.output).toEqual({ path: 'out.txt' });

    await runStep(step, { text: 'b' }, ctx);
    expect(counter.runs).toBe(2);
    await runStep(step, { text: 'b' }, { ...ctx, force: true });
    expect(counter.runs).toBe(3);
    const { rmSync } = await import('node:fs');
    rmSync(join(tmp.dir, 'out.txt'));
    await runStep(step, { text: 'b' }, ctx);
    expect(counter.runs).toBe(4);
  });

  it('keeps the journal on disk so a new process sees finished steps', async () => {
    const ctx = createContext({ root: tmp.dir, env: {} });
    await runStep(countingStep({ runs: 0 }), { text: 'x' }, ctx);
    const fresh = createContext({ root: tmp.dir, env: {} });
    expect(fresh.journal.step('write')?.inputsHash).toBe(hashValue({ text: 'x' }));
    const journal = JSON.parse(readFileSync(join(tmp.dir, '.edgewise', 'journal.json'), 'utf8')) as { steps: Record<string, unknown> };
    expect(Object.keys(journal.steps)).toEqual(['write']);
  });

  it('reports home-screen states: done, out of date after an upstream rerun, to do', async () => {
    const ctx = createContext({ root: tmp.dir, env: {} });
    const rec = (name: string, at: string) => ctx.journal.recordStep(name, { inputsHash: 'h', finishedAt: at, output: null, artifacts: [] });
    rec('validate', '2026-01-01T00:00:00.000Z');
    rec('split', '2026-01-01T00:01:00.000Z');
    expect(stepStates(tmp.dir, ctx.journal)).toMatchObject({ configure: 'todo', validate: 'done', split: 'done', train: 'todo' });
    rec('validate', '2026-01-01T00:02:00.000Z');
    expect(stepStates(tmp.dir, ctx.journal)).toMatchObject({ validate: 'done', split: 'stale' });
  });

  it('turns a corrupt journal into a clear error', () => {
    const { mkdirSync } = require('node:fs') as typeof import('node:fs');
    mkdirSync(join(tmp.dir, '.edgewise'));
    writeFileSync(join(tmp.dir, '.edgewise', 'journal.json'), '{"steps": {');
    expect(() => createContext({ root: tmp.dir, env: {} })).toThrow(/journal.*not valid JSON/);
  });
});

describe('cancellation', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('stops an aborted step, records nothing and leaves no partial file', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const slow: Step<void, string> = {
      name: 'slow',
      title: 'Slow writer',
      fingerprint: () => 'same',
      async *run(_i, ctx) {
        const parts: string[] = [];
        for (let i = 0; i < 100; i++) {
          throwIfCancelled(ctx.signal);
          parts.push(`line ${i}\n`);
          chunks++;
          if (i === 10) controller.abort();
          yield { type: 'progress', done: i + 1, total: 100, unit: 'line' };
        }
        await writeFileAtomic(join(ctx.workspace.root, 'result.txt'), parts.join(''));
        return 'result.txt';
      },
    };
    const ctx = createContext({ root: tmp.dir, env: {}, signal: controller.signal });
    await expect(runStep(slow, undefined, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(chunks).toBeLessThan(100);
    expect(existsSync(join(tmp.dir, 'result.txt'))).toBe(false);
    expect(ctx.journal.step('slow')).toBeUndefined();
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits with code 130', () => {
    expect(new CancelledError().exitCode).toBe(130);
  });
});
