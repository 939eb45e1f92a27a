import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { render } from 'ink';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ValidateScreen from '../../screens/validate.js';
import { HumanReporter, JsonReporter } from '../../src/cli/reporters.js';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import { escapeControls } from '../../src/core/text.js';
import { photoJpeg } from '../validate/validate-fixtures.js';
import { FakeStdin, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * Issue 15, item 5: file names and labels holding terminal escapes (retitle: ESC ] 0 ; … BEL, recolour:
 * ESC [ 31 m) are shown escaped on a terminal, while --json keeps the exact strings.
 */
const TITLE = '\x1b]0;pwned\x07';
const RED = '\x1b[31m';
const EVIL_FILE = `evil${TITLE}.jpg`;
const EVIL_LABEL = `ant${RED}`;
const CLI = resolve('dist/src/cli/main.js');

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-escapes-');
});
afterEach(() => tmp.cleanup());

/** Hostile names in a small workspace; `label` for the first two photos (a control character in it is itself an error). */
async function workspace(label = EVIL_LABEL): Promise<void> {
  const images = join(tmp.dir, 'ml', 'dataset', 'images');
  mkdirSync(images, { recursive: true });
  const rows = ['image,label'];
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(images, `p${i}.jpg`), await photoJpeg(`p${i}`));
    rows.push(`p${i}.jpg,${i < 2 ? label : 'bee'}`);
  }
  writeFileSync(join(images, EVIL_FILE), readFileSync(join(images, 'p0.jpg')));
  rows.push(`${EVIL_FILE},bee`, `missing${RED}.jpg,bee`);
  writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');
}

describe('escapeControls', () => {
  it('shows C0, DEL, C1 and bidi controls as visible escapes and keeps line feeds and ordinary text', () => {
    expect(escapeControls(`a${TITLE}b${RED}c\r\t\x7f\x9b\u202e\n€ é`)).toBe('a\\x1b]0;pwned\\x07b\\x1b[31mc\\x0d\\x09\\x7f\\x9b\\u202e\n€ é');
  });
  it('the reporters: human output escaped on stdout and stderr, NDJSON exact', () => {
    const out: string[] = [];
    const err: string[] = [];
    const h = new HumanReporter((s) => out.push(s), (s) => err.push(s), false);
    h.event({ type: 'log', step: 'x', message: `read ${EVIL_FILE}` } as never);
    h.event({ type: 'warning', step: 'x', code: 'c', item: EVIL_LABEL, message: 'm' } as never);
    h.error('x', new Error(`bad ${RED}`));
    expect(out.join('') + err.join('')).not.toContain('\x1b');
    expect(out.join('')).toContain('read evil\\x1b]0;pwned\\x07.jpg');
    const lines: string[] = [];
    new JsonReporter((s) => lines.push(s)).event({ type: 'log', step: 'x', message: EVIL_FILE } as never);
    expect((JSON.parse(lines[0]!) as { message: string }).message).toBe(EVIL_FILE);
  });
});

describe('edgewise validate with hostile names (compiled CLI)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  });
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, '-w', tmp.dir, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' } });

  it('prints names and labels escaped (no ESC or BEL reaches the terminal); --json keeps them exact', async () => {
    await workspace();
    const human = cli(['validate']);
    expect(human.status).toBe(2); // the missing file is an error
    const all = human.stdout + human.stderr;
    expect(all).not.toMatch(/[\x07\x1b]/);
    expect(all).toContain('missing\\x1b[31m.jpg');
    // A label holding a control character is refused (label.control_character), and said escaped.
    expect(all).toMatch(/ant\\(x1b|u001b)\[31m/);
    const json = cli(['--json', 'validate']);
    const result = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { output: { classCounts: Record<string, number>; errors: Array<{ item: string; code: string }> } };
    expect(result.output.errors.filter((e) => e.code === 'label.control_character')).toHaveLength(2);
    expect(result.output.errors.map((e) => e.item)).toContain(`missing${RED}.jpg`);
  });
});

describe('the wizard with hostile names', () => {
  it('the validate review shows the escaped file name, and no frame carries the raw escape', async () => {
    await workspace('ant');
    const ctx = createContext({ root: tmp.dir, config: parseConfig({}, 'test') });
    const stdout = new SizedStdout(100, 30);
    const inst = render(
      <ValidateScreen ctx={ctx} isActive columns={100} rows={30} color={false} onBack={() => {}} onDone={() => {}} />,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      { stdout: stdout as any, stdin: new FakeStdin() as any, debug: true, exitOnCtrlC: false, patchConsole: false },
    );
    try {
      await waitFor(() => (stdout.lastFrame() ?? '').includes('evil\\x1b]0;pwned\\x07.jpg'));
      for (const f of stdout.frames) expect(f).not.toMatch(/\x1b\]0;|\x07|\x1b\[31m/);
    } finally {
      inst.unmount();
    }
  });

  it('no screen imports Text from ink directly (every Text escapes)', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(n)) files.push(p);
      }
    };
    walk(resolve('screens'));
    // url-line.tsx writes an OSC 8 hyperlink through Ink's Text and escapes the URL itself.
    const offenders = files.filter((f) => !f.endsWith(join('components', 'text.tsx')) && !f.endsWith(join('components', 'url-line.tsx')) && /import\s*\{[^}]*\bText\b[^}]*\}\s*from\s*'ink'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
