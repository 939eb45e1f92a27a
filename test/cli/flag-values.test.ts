import { readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { share, unitInterval, wholeNumber } from '../../src/cli/flag-values.js';
import { exitCodeOfUsage } from '../../src/cli/usage-errors.js';
import { makeTempDir } from '../helpers/tmp.js';

const ws = makeTempDir('edgewise-flags-');
afterAll(() => ws.cleanup());

/** `edgewise -w WS <args>` in-process, with the real command table; ends as src/cli/main.ts does. */
async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) })
    .option('-w, --workspace <dir>')
    .option('--json')
    .option('--no-input')
    .option('--force')
    .option('-v, --verbose');
  for (const register of commands) register(program);
  const argv = ['-w', ws.dir, ...args];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'edgewise', ...argv]);
    return { code: Number(process.exitCode ?? 0), stderr, stdout };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { code: exitCodeOfUsage(e, argv), stderr, stdout };
  } finally {
    process.stdout.write = write;
    process.exitCode = 0;
  }
}

describe('flag values are checked by commander before a command starts', () => {
  it.each([
    [['validate', '--radius', '40'], '--radius', '--radius must be a whole number of bits from 0 to 12, got "40"'],
    [['validate', '--backend', 'gpu'], '--backend', 'Allowed choices are local, vertex'],
    [['train', '--backend', 'gpu'], '--backend', 'Allowed choices are local, vertex'],
    [['train', '--hidden', '-3'], '--hidden', '--hidden must be a whole number of at least 0, got "-3"'],
    [['split', '--test', 'ten'], '--test', '--test must be a number from 0 to 1, got "ten"'],
    [['tune', '--tau', '1.5'], '--tau', '--tau must be a number from 0 to 1, got "1.5"'],
    [['tune', '--split', 'train'], '--split', 'Allowed choices are auto, validation, test'],
    [['eval', '--width', '20'], '--width', '--width must be a whole number of at least 40, got "20"'],
    [['demo', '--classes', '9'], '--classes', '--classes must be a whole number from 2 to 8, got "9"'],
    [['init', '--budget', 'lots'], '--budget', '--budget must be a number, got "lots"'],
  ])('%j: exit 2, the message names the flag and the rule; --json names it as the item', async (args, flag, says) => {
    const human = await cli(args);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain(says);
    const json = await cli(['--json', ...args]);
    expect(json.code).toBe(2);
    const last = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'error', code: 'usage', item: flag, exitCode: 2 });
    // Stopped before anything ran: the workspace is untouched.
    expect(readdirSync(ws.dir)).toEqual([]);
  });

  it('parses good values (percent shares, bounds inclusive)', () => {
    expect(share('--test')('10%')).toBeCloseTo(0.1);
    expect(share('--test')(' 0.15 ')).toBe(0.15);
    expect(wholeNumber('--radius', 0, 12, '6')('12')).toBe(12);
    expect(unitInterval('--tau')('0')).toBe(0);
    expect(() => wholeNumber('--radius', 0, 12, '6')('6.5')).toThrow(/whole number/);
    expect(() => unitInterval('--tau')('')).toThrow(/from 0 to 1/);
  });
});
