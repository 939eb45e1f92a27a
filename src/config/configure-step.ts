import type { Step } from '../core/step.js';
import { mergeConfig, parseConfig, readConfigFile, saveConfig } from './load.js';
import { rememberWorkspace } from './prefs.js';

export interface ConfigureInput {
  /** Answers shaped like the config; merged over the existing edgewise.json. */
  answers: Record<string, unknown>;
}

/** Writes edgewise.json from the wizard's answers (validated by the same schema as `edgewise init`). */
export const configureStep: Step<ConfigureInput, { path: string }> = {
  name: 'configure',
  title: 'Save configuration',
  async *run(input, ctx) {
    const next = mergeConfig(readConfigFile(ctx.workspace.root) ?? {}, input.answers);
    parseConfig(next, 'the answers');
    const path = await saveConfig(ctx.workspace.root, next);
    rememberWorkspace(ctx.workspace.root);
    yield { type: 'artifact', path: ctx.workspace.rel(path), description: 'configuration' };
    return { path };
  },
};
