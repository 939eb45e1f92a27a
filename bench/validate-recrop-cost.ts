/**
 * What the re-crop confirmation (validate.confirmRecrops) costs a whole `edgewise validate`: the command run
 * on one workspace with it off and on, alternately, cold (measure cache removed) and warm (cache kept: the
 * index phase is then most of the work). Prints each run's wall and CPU time (the child's, threads included:
 * the machine's load moves wall time more) and the on/off ratios of the medians.
 *
 *   node dist/bench/validate-recrop-cost.js [DIR=../shared/data/clothing-dataset-small] [rounds=2]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = resolve(process.argv[2] ?? '../shared/data/clothing-dataset-small');
const ROUNDS = Number(process.argv[3] ?? 2);
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const ws = mkdtempSync(join(tmpdir(), 'edgewise-recrop-cost-'));
const run = (...args: string[]): void => {
  // Exit code 2 (errors found in the data) is a finished run too.
  try {
    execFileSync(process.execPath, [CLI, ...args], { cwd: ws, stdio: 'ignore' });
  } catch (e) {
    if ((e as { status?: number }).status !== 2) throw e;
  }
};
run('init', '--images', DIR, '--backend', 'local');
const configPath = join(ws, 'edgewise.json');
const base = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;

/** CPU seconds of this process's finished children (user + system, every thread), from /proc (Linux). */
function childCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // cutime and cstime are fields 16 and 17 of the line, in clock ticks (100 per second on Linux).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function validate(confirmRecrops: boolean, cold: boolean): { wall: number; cpu: number } {
  writeFileSync(configPath, JSON.stringify({ ...base, validate: { confirmRecrops } }, null, 2));
  if (cold) rmSync(join(ws, '.edgewise', 'cache'), { recursive: true, force: true });
  const c0 = childCpu();
  const t0 = performance.now();
  run('validate', '--force');
  return { wall: (performance.now() - t0) / 1000, cpu: childCpu() - c0 };
}

const times: Record<string, Array<{ wall: number; cpu: number }>> = { 'cold off': [], 'cold on': [], 'warm off': [], 'warm on': [] };
validate(false, true); // fills the cache once before the warm runs
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which goes first, so a drift in the machine's load does not favour one.
  const order = r % 2 === 0 ? [false, true] : [true, false];
  for (const cold of [true, false]) {
    for (const on of order) {
      const s = validate(on, cold);
      times[`${cold ? 'cold' : 'warm'} ${on ? 'on' : 'off'}`]!.push(s);
      console.log(`round ${r + 1}: ${cold ? 'cold' : 'warm'}, confirmRecrops ${on ? 'on ' : 'off'}: ${s.wall.toFixed(1)} s wall, ${s.cpu.toFixed(1)} s CPU`);
    }
  }
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
for (const kind of ['cold', 'warm']) {
  for (const what of ['wall', 'cpu'] as const) {
    const off = median(times[`${kind} off`]!.map((t) => t[what]));
    const on = median(times[`${kind} on`]!.map((t) => t[what]));
    console.log(`${kind} ${what}: off ${off.toFixed(1)} s, on ${on.toFixed(1)} s (medians of ${ROUNDS}): on/off = ${(on / off).toFixed(2)}`);
  }
}
rmSync(ws, { recursive: true, force: true });
