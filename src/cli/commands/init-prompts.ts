import { input, select } from '@inquirer/prompts';
import { detectSetup } from '../../config/detect.js';
import type { Config } from '../../config/schema.js';
import { answersToConfig, configToAnswers, setupQuestions, type SetupQuestion } from '../../config/setup-questions.js';
import { escapeControls } from '../../core/text.js';

/** One question of the setup table on a plain terminal: its help line, then an @inquirer prompt. */
async function ask(q: SetupQuestion, out: NodeJS.WritableStream): Promise<string> {
  if (q.help) out.write(`${escapeControls(q.help)}\n`);
  if (q.kind === 'select') {
    return select({
      message: q.prompt,
      ...(q.default !== undefined ? { default: q.default } : {}),
      choices: (q.choices ?? []).map((c) => ({ name: escapeControls(c.label), value: c.value, ...(c.hint ? { description: c.hint } : {}) })),
      pageSize: 10,
    });
  }
  return input({
    message: q.prompt,
    ...(q.default !== undefined ? { default: q.default } : {}),
    validate: (v) => q.validate?.(v) ?? true,
  });
}

/**
 * The questions `edgewise init` asks on a terminal (outside the wizard): the wizard's table
 * (config/setup-questions.ts), with detected values offered as defaults. Questions whose answer was given as a
 * flag are not asked. Returns the answers in the config's shape.
 */
export async function askInitQuestions(root: string, current: Config, given: Record<string, unknown>, out: NodeJS.WritableStream = process.stdout): Promise<Record<string, unknown>> {
  const detected = detectSetup(root, current.paths.manifest);
  const answers = configToAnswers(given);
  const asked: Record<string, string> = {};
  // The table depends on the answers so far (the backend decides the rest): look again after each one.
  for (let i = 0; ; i++) {
    const q = setupQuestions(current, detected, answers)[i];
    if (!q) break;
    if (answers[q.id] !== undefined) continue;
    answers[q.id] = asked[q.id] = await ask(q, out);
  }
  return answersToConfig(asked);
}
