import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/tune.js';
import { exitCodeOfUsage } from '../../src/cli/usage-errors.js';
import { cleanupWorkspaces, predictionsWorkspace } from './fixtures.js';
import { writeRun } from '../registry/fixtures.js';
import { publish } from '../../src/registry/publish.js';

/** Runs `edgewise <args>` in-process with the program's global options; returns exit code and NDJSON lines. */
async function cli(args: string[]): Promise<{ code: number; lines: Array<Record<string, unknown>>; text: string }> {
  const program = new Command().exitOverride().option('-w, --workspace <dir>').option('--json').option('--no-input').option('--force').option('-v, --verbose');
  register(program);
  let text = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    text += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    text += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'edgewise', ...args]);
  } catch (e) {
    // A flag's bad value ends in commander (argParser, choices), handled as src/cli/main.ts does.
    if (!(e instanceof CommanderError)) throw e;
    process.exitCode = exitCodeOfUsage(e, args);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, text };
}

const result = (lines: Array<Record<string, unknown>>) => lines.find((l) => l.type === 'result' || l.type === 'error')!;

describe('edgewise tune (headless)', () => {
  afterAll(cleanupWorkspaces);
  afterEach(() => vi.restoreAllMocks());

  it('--target-accuracy --json: NDJSON events and a result; the thresholds file is written', async () => {
    const fx = predictionsWorkspace({ seed: 41 });
    const r = await cli(['--workspace', fx.root, '--json', 'tune', '--target-accuracy', '0.8']);
    expect(r.code).toBe(0);
    const res = result(r.lines) as { ok: boolean; output: { tau: number; margin: number; target: number; saved: string; tuned_on: { selective_accuracy: number } } };
    expect(res.ok).toBe(true);
    expect(res.output.target).toBe(0.8);
    expect(res.output.tuned_on.selective_accuracy).toBeGreaterThanOrEqual(0.8);
    expect(r.lines.some((l) => l.type === 'step-start' && l.step === 'tune')).toBe(true);
    const file = JSON.parse(readFileSync(join(fx.root, res.output.saved), 'utf8')) as { tau: number; margin: number };
    expect(file).toMatchObject({ tau: res.output.tau, margin: res.output.margin });
    // Same inputs again: the journal skips it.
    const again = await cli(['--workspace', fx.root, '--json', 'tune', '--target-accuracy', '0.8']);
    expect(again.lines.some((l) => l.type === 'step-skip')).toBe(true);
  });

  it('on the live model: saves only and prints the publish command; --publish shows old vs new, then ships a new version', async () => {
    const fx = predictionsWorkspace({ seed: 44 });
    writeRun(fx.root, 'v001', { labels: fx.labels, tau: 0.3 });
    await publish(fx.ctx.workspace, {});
    const modelJson = join(fx.root, 'public/models/model.json');
    const before = readFileSync(modelJson, 'utf8');
    const r = await cli(['--workspace', fx.root, 'tune', '--target-accuracy', '0.5']);
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/Saved ml\/metrics\/thresholds_v001\.json: tau \d\.\d\d, margin \d\.\d\d \(nothing shipped\)\. Live v001 still ships tau 0\.30, margin 0\.10: to ship them, run: edgewise publish --model v001 -w /);
    expect(r.text).toContain(`-w ${fx.root}`);
    expect(r.text).toMatch(/Answers only when the top probability ≥ \d\.\d\d and beats the runner-up by ≥ \d\.\d\d/);
    expect(r.text).toMatch(/Weakest on (test|validation): /);
    expect(readFileSync(modelJson, 'utf8')).toBe(before);

    // No terminal here and no --yes: the thresholds are saved, the comparison printed, nothing shipped (exit 2).
    const asked = await cli(['--workspace', fx.root, 'tune', '--tau', '0.55', '--margin', '0', '--publish']);
    expect(asked.code).toBe(2);
    expect(asked.text).toMatch(/Saved ml\/metrics\/thresholds_v001\.json: tau 0\.55, margin 0\.00 \(nothing shipped\)\. Live v001 still ships tau 0\.30, margin 0\.10: to ship them, run: edgewise publish --model v001 -w \S+ --yes/);
    expect(asked.text).toMatch(/tau\s+0\.300\s+0\.550\s+\+0\.250/);
    expect(asked.text).toContain('Not published: no one to ask "Publish v002 and make it active?"');
    expect(readFileSync(modelJson, 'utf8')).toBe(before);

    const p = await cli(['--workspace', fx.root, 'tune', '--tau', '0.55', '--margin', '0', '--publish', '--yes']);
    expect(p.code).toBe(0);
    // The comparison publish shows, then the new version with the same model file.
    expect(p.text).toMatch(/metric\s+now v001\s+new v002\s+change/);
    expect(p.text).toMatch(/tau\s+0\.300\s+0\.550\s+\+0\.250/);
    expect(p.text).toMatch(/coverage\s+0\.700\s+\d\.\d{3}/);
    expect(p.text).toContain('Publishing makes run v001 the new v002 (same model as v001, new thresholds) and the active version.');
    expect(p.text).toContain('Published run v001 as v002 and made it active (was v001).');
    const after = JSON.parse(readFileSync(modelJson, 'utf8')) as { version: string; tflite_sha256: string; thresholds: unknown };
    expect(after).toMatchObject({ version: 'v002', tflite_sha256: (JSON.parse(before) as { tflite_sha256: string }).tflite_sha256, thresholds: { tau: 0.55, margin: 0 } });
  });

  it('--tau/--margin sets them directly; human output names the numbers', async () => {
    const fx = predictionsWorkspace({ seed: 42 });
    const r = await cli(['--workspace', fx.root, 'tune', '--tau', '0.55', '--margin', '0.1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.text).toContain('tau 0.55, margin 0.10');
    expect(r.text).toMatch(/test \(\d+ images\): coverage [\d.]+%, selective accuracy/);
    expect(r.text).toContain('Dry run: nothing written.');
    expect(existsSync(join(fx.root, 'ml/metrics/thresholds_v001.json'))).toBe(false);
  });

  it('without flags off a terminal: tunes to config.tune.targetAccuracy', async () => {
    const fx = predictionsWorkspace({ seed: 43 });
    writeFileSync(join(fx.root, 'edgewise.json'), JSON.stringify({ tune: { targetAccuracy: 0.7 } }));
    const r = await cli(['--workspace', fx.root, '--json', 'tune']);
    expect(r.code).toBe(0);
    expect((result(r.lines) as { output: { target: number } }).output.target).toBe(0.7);
  });

  it('bad input exits 2 naming the flag; an unreachable target exits 1 with the best reachable', async () => {
    const fx = predictionsWorkspace({ seed: 44 });
    const bad = await cli(['--workspace', fx.root, '--json', 'tune', '--target-accuracy', '1.5']);
    expect(bad.code).toBe(2);
    expect(result(bad.lines)).toMatchObject({ type: 'error', item: '--target-accuracy' });
    const far = await cli(['--workspace', fx.root, '--json', 'tune', '--max-false-accept', '0.1']);
    expect(far.code).toBe(2);
    expect(String(result(far.lines).message)).toContain('--negatives');
    const both = await cli(['--workspace', fx.root, '--json', 'tune', '--tau', '0.5', '--target-accuracy', '0.9']);
    expect(both.code).toBe(2);
    const screen = await cli(['--workspace', fx.root, '--json', 'tune', '--interactive']);
    expect(screen.code).toBe(2);
    expect(String(result(screen.lines).hint)).toContain('--target-accuracy');
    // A model that is always wrong on one class: 90% cannot be reached, and the error says what can.
    const rows = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? { p: [0.8, 0.2], t: 1 } : { p: [0.3, 0.7], t: 1 }));
    const split = { images: rows.map((_, i) => `i${i}.jpg`), truth: rows.map((r) => r.t), probs: rows.map((r) => r.p) };
    writeFileSync(fx.path, JSON.stringify({ version: 'v001', labels: ['a', 'b'], temperature: 1, test: split, validation: split }));
    const unreachable = await cli(['--workspace', fx.root, '--json', 'tune', '--target-accuracy', '0.9']);
    expect(unreachable.code).toBe(1);
    expect(result(unreachable.lines)).toMatchObject({ code: 'tune.unreachable', hint: expect.stringContaining('best reachable is 50.0% (tau 0.00, margin 0.00, coverage 100.0%)') });
  });
});
