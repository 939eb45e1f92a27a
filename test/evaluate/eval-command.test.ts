import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/eval.js';
import { makeColourWorkspace } from './colour-model.js';
import { removeFakeWorkspaces } from './fake-workspace.js';

/** The eval subcommand under a program with the same global options as src/cli/main.ts. */
async function runCli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command().name('edgewise').option('-w, --workspace <dir>').option('--json').option('--no-input').option('--force').option('-v, --verbose').exitOverride();
  register(program);
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'edgewise', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, err, code };
}

afterEach(() => vi.restoreAllMocks());

afterAll(removeFakeWorkspaces);

describe('edgewise eval', () => {
  it('prints the report for people and NDJSON with --json', async () => {
    const ws = await makeColourWorkspace();
    const human = await runCli(['-w', ws.root, 'eval', '--width', '80']);
    expect(human.code).toBe(0);
    expect(human.out).toContain('■ Evaluation of v001: 18 test images');
    expect(human.out).toContain('■ Most confidently wrong');
    expect(human.out).toContain('Report:      ml/metrics/report_v001.html');
    expect(existsSync(join(ws.root, 'ml/metrics/predictions_v001.json'))).toBe(true);

    const json = await runCli(['-w', ws.root, '--json', 'eval', '--model', 'v001']);
    expect(json.code).toBe(0);
    const events = json.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; output?: { metrics: { top1: number } } });
    expect(events[0]!.type).toBe('step-skip'); // nothing changed since the first run
    const result = events.at(-1)!;
    expect(result.type).toBe('result');
    expect(result.output!.metrics.top1).toBeCloseTo(15 / 18, 12);
  });

  it('exits 2 naming the missing model', async () => {
    const ws = await makeColourWorkspace();
    const r = await runCli(['-w', ws.root, 'eval', '--model', 'ml/models/v007']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('ml/models/v007/model.tflite does not exist');
  });
});
