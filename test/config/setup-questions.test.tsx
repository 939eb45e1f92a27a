import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ConfigureScreen from '../../screens/configure.js';
import { askInitQuestions } from '../../src/cli/commands/init-prompts.js';
import { detectSetup } from '../../src/config/detect.js';
import { parseConfig } from '../../src/config/load.js';
import { setupQuestions, type SetupQuestion } from '../../src/config/setup-questions.js';
import { createContext } from '../../src/core/context.js';
import { flush, keys, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

/** What `edgewise init` asked through @inquirer/prompts, answered from a script in order. */
const inquirer = vi.hoisted(() => ({
  asked: [] as Array<{ kind: 'select' | 'text'; prompt: string; default: unknown; choices?: unknown[] }>,
  script: [] as string[],
}));
vi.mock('@inquirer/prompts', () => ({
  select: async (c: { message: string; default?: unknown; choices: Array<{ value: unknown }> }) => {
    inquirer.asked.push({ kind: 'select', prompt: c.message, default: c.default, choices: c.choices.map((x) => x.value) });
    return inquirer.script.shift();
  },
  input: async (c: { message: string; default?: unknown; validate?: (v: string) => true | string }) => {
    inquirer.asked.push({ kind: 'text', prompt: c.message, default: c.default });
    const v = inquirer.script.shift()!;
    if (c.validate?.(v) !== true) throw new Error(`the script's answer ${v} was refused`);
    return v;
  },
}));

/** A vertex setup answered differently from every default, so each question's answer shows in the result. */
const ANSWERS: Record<SetupQuestion['id'], string> = {
  backend: 'vertex',
  images: 'more/photos',
  backbone: '',
  project: 'my-project-1',
  region: 'europe-west4',
  bucket: 'my-bucket',
  modelType: 'MOBILE_TF_HIGH_ACCURACY_1',
  nodeHours: '2',
};

describe('first-time setup: one question table, two front ends', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  const saved = { ...process.env };
  beforeEach(() => {
    tmp = makeTempDir();
    for (const dir of ['photos/cat', 'photos/dog', 'more/photos/cat']) mkdirSync(join(tmp.dir, dir), { recursive: true });
    for (const f of ['photos/cat/1.jpg', 'photos/dog/2.jpg', 'more/photos/cat/3.jpg']) writeFileSync(join(tmp.dir, f), 'x');
    // Detection reads the environment: the same, known values for both front ends.
    process.env.CLOUDSDK_CONFIG = join(tmp.dir, 'no-gcloud');
    process.env.GOOGLE_CLOUD_PROJECT = 'detected-proj';
    process.env.EDGEWISE_NO_PREFS = '1';
    inquirer.asked = [];
  });
  afterEach(() => {
    process.env = { ...saved };
    tmp.cleanup();
  });

  it('`edgewise init` and the wizard ask the same questions, with the same choices and defaults, and write the same answers', async () => {
    const config = parseConfig({}, 'test');
    const detected = detectSetup(tmp.dir, config.paths.manifest);
    expect(detected.project).toBe('detected-proj');
    // The table, walked with the scripted answers.
    const table: SetupQuestion[] = [];
    const sofar: Record<string, string> = {};
    for (let i = 0; ; i++) {
      const q = setupQuestions(config, detected, sofar)[i];
      if (!q) break;
      table.push(q);
      sofar[q.id] = ANSWERS[q.id];
    }
    expect(table.map((q) => q.id)).toEqual(['backend', 'images', 'project', 'region', 'bucket', 'modelType', 'nodeHours']);

    // The CLI's prompts.
    inquirer.script = table.map((q) => ANSWERS[q.id]);
    const out = { write: () => true } as unknown as NodeJS.WritableStream;
    const cliAnswers = await askInitQuestions(tmp.dir, config, {}, out);
    expect(inquirer.asked).toEqual(
      table.map((q) => ({ kind: q.kind, prompt: q.prompt, default: q.default, ...(q.kind === 'select' ? { choices: q.choices!.map((c) => c.value) } : {}) })),
    );

    // The wizard's screen, one question at a time.
    const ui = render(
      <ConfigureScreen ctx={createContext({ root: tmp.dir, env: {} })} detected={detected} isActive columns={200} rows={60} onBack={() => {}} onDone={() => {}} />,
    );
    await flush();
    for (const [i, q] of table.entries()) {
      await waitFor(() => (ui.lastFrame() ?? '').includes(`step ${i + 1} of`));
      const frame = ui.lastFrame() ?? '';
      const shown = frame.split('\n').map((l) => l.trim());
      expect(shown, `question ${i + 1}`).toContain(q.prompt);
      if (q.help) expect(shown).toContain(q.help);
      if (q.kind === 'select') {
        const from = q.choices!.findIndex((c) => c.value === q.default);
        expect(frame).toContain(`❯ ${q.choices![from]!.label}`);
        const to = q.choices!.findIndex((c) => c.value === ANSWERS[q.id]);
        ui.stdin.write((to >= from ? keys.down.repeat(to - from) : keys.up.repeat(from - to)) + keys.enter);
      } else {
        expect(frame).toContain(`type or edit ›${q.default ? ` ${q.default}` : ''}`);
        ui.stdin.write(keys.backspace.repeat((q.default ?? '').length) + ANSWERS[q.id] + keys.enter);
      }
    }
    await waitFor(() => existsSync(join(tmp.dir, 'edgewise.json')));
    const wizardAnswers = JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8'));
    ui.unmount();
    expect(cliAnswers).toEqual(wizardAnswers);
    expect(wizardAnswers).toEqual({
      backend: 'vertex',
      paths: { images: 'more/photos' },
      project: 'my-project-1',
      region: 'europe-west4',
      bucket: 'my-bucket',
      modelType: 'MOBILE_TF_HIGH_ACCURACY_1',
      budgetMilliNodeHours: 2000,
    });
  });

  it('`edgewise init` skips the questions its flags answered, and the backend given decides the rest', async () => {
    const config = parseConfig({}, 'test');
    inquirer.script = ['photos', 'nsfwjs-mobilenet_v2'];
    const out = { write: () => true } as unknown as NodeJS.WritableStream;
    const answers = await askInitQuestions(tmp.dir, config, { backend: 'local' }, out);
    expect(inquirer.asked.map((a) => a.prompt)).toEqual(['Images folder (relative to the workspace)', 'Which network should local training start from?']);
    expect(answers).toEqual({ paths: { images: 'photos' }, train: { backbone: 'nsfwjs-mobilenet_v2' } });
  });
});
