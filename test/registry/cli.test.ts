import { Command } from 'commander';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { register as publish } from '../../src/cli/commands/publish.js';
import { register as rollback } from '../../src/cli/commands/rollback.js';
import { register as versions } from '../../src/cli/commands/versions.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/** Runs `edgewise <args>` in-process with only the registry commands; returns stdout, stderr and the exit code. */
async function edgewise(args: string[]): Promise<{ code: number; out: string; err: string; result?: Record<string, unknown> }> {
  const program = new Command().name('edgewise').exitOverride()
    .option('-w, --workspace <dir>').option('--json').option('--no-input').option('--force').option('-v, --verbose');
  for (const r of [publish, versions, rollback]) r(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'edgewise', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  const last = out.trim().split('\n').pop() ?? '';
  let result: Record<string, unknown> | undefined;
  try {
    result = JSON.parse(last) as Record<string, unknown>;
  } catch {
    result = undefined;
  }
  return { code, out, err, ...(result ? { result } : {}) };
}

describe('publish / versions / rollback commands', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  test('human output, --json, and exit codes for refusals', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    writeRun(w.root, 'v001', { labels: ['ant', 'bee'] });
    const first = await edgewise(['-w', w.root, 'publish', '--yes']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Published run v001 as v001 and made it active.');
    writeRun(w.root, 'v002', { model: 'second', top1: 0.9 });
    const second = await edgewise(['-w', w.root, '--json', 'publish', '-y']);
    expect(second.result).toMatchObject({ type: 'result', command: 'publish', ok: true, output: { version: 'v002', previous: 'v001' } });
    for (const line of second.out.trim().split('\n')) JSON.parse(line);

    const table = await edgewise(['-w', w.root, 'versions', '--events']);
    expect(table.out).toMatch(/^\*\s+v002\s.*0\.900/m);
    expect(table.out).toMatch(/rollback|activate/);
    const listed = await edgewise(['-w', w.root, '--json', 'versions']);
    expect((listed.result?.output as { versions: unknown[] }).versions).toHaveLength(2);

    const back = await edgewise(['-w', w.root, 'rollback']);
    expect(back.code).toBe(0);
    expect(back.out).toContain('Rolled back to v001 (was v002)');
    const unknown = await edgewise(['-w', w.root, '--json', 'rollback', '--to', 'v009']);
    expect(unknown.code).toBe(2);
    expect(unknown.result).toMatchObject({ type: 'error', ok: false, code: 'rollback.unknown_version' });

    writeRun(w.root, 'v003', { model: 'third', metrics: false, thresholds: false });
    const refused = await edgewise(['-w', w.root, 'publish']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('not evaluated');
    expect(refused.err).toContain('--force-unevaluated');
  });

  test('no terminal to ask on and no --yes: the old-vs-new table, exit 2 publish.needs_yes, nothing published', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    writeRun(w.root, 'v001', { labels: ['ant', 'bee'] });
    expect((await edgewise(['-w', w.root, 'publish', '--yes'])).code).toBe(0);
    const { readFileSync, readdirSync } = await import('node:fs');
    const liveJson = readFileSync(`${w.root}/public/models/model.json`, 'utf8');
    writeRun(w.root, 'v002', { model: 'second', top1: 0.9 });
    // stdin and stdout here are not a terminal (vitest's pipes): a script's run.
    const human = await edgewise(['-w', w.root, 'publish']);
    expect(human.code).toBe(2);
    expect(human.out).toMatch(/metric\s+now v001\s+new v002/);
    expect(human.out).toMatch(/top-1\s+0\.800\s+0\.900\s+\+0\.100/);
    expect(human.err).toContain('Not published: no one to ask "Publish v002 and make it active?" (input is not a terminal) and no --yes. Nothing changed.');
    expect(human.err).toContain('run the same command with --yes (-y)');
    const json = await edgewise(['-w', w.root, '--json', 'publish']);
    expect(json.code).toBe(2);
    expect(json.result).toMatchObject({ type: 'error', ok: false, code: 'publish.needs_yes', exitCode: 2 });
    expect((json.result as { message: string }).message).toContain('(--json)');
    const lines = json.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; state?: string; data?: { plan?: { version?: string } } });
    expect(lines.find((l) => l.type === 'status' && l.state === 'plan:new')?.data?.plan?.version).toBe('v002');
    // Nothing shipped: the registry still has v001 only, public/models is as it was.
    const listed = await edgewise(['-w', w.root, '--json', 'versions']);
    expect((listed.result?.output as { active: string; versions: unknown[] })).toMatchObject({ active: 'v001', versions: [expect.anything()] });
    expect(readFileSync(`${w.root}/public/models/model.json`, 'utf8')).toBe(liveJson);
    expect(readdirSync(`${w.root}/public/models`).filter((f) => f.endsWith('.tflite'))).toEqual(['local_model_v001.tflite']);
    // --yes is the decision.
    expect((await edgewise(['-w', w.root, '--json', 'publish', '--yes'])).result).toMatchObject({ ok: true, output: { version: 'v002' } });
  });

  test('--registry points at another SQLite file, relative to the workspace', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    writeRun(w.root, 'a');
    expect((await edgewise(['-w', w.root, '--json', 'publish', '--yes', '--registry', 'other/reg.db'])).result).toMatchObject({ ok: true, output: { version: 'v001' } });
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${w.root}/other/reg.db`)).toBe(true);
    expect(existsSync(`${w.root}/ml/registry.db`)).toBe(false);
    const empty = await edgewise(['-w', w.root, 'versions']);
    expect(empty.out).toContain('No versions published yet');
  });
});
