import type { Step } from '../core/step.js';
import { applyDatasetSource, planDatasetSource, type DatasetSource } from '../manifest/dataset-source.js';
import { mergeConfig, parseConfig, readConfigFile, saveConfig } from './load.js';
import { rememberWorkspace } from './prefs.js';
import type { Config } from './schema.js';

export interface ConfigureInput {
  /** Answers shaped like the config; merged over the existing edgewise.json. */
  answers: Record<string, unknown>;
}

export interface ConfigureOutput {
  path: string;
  /** Where the manifest comes from (the user's, written from label folders, a labels CSV, or none yet). */
  dataset: DatasetSource;
}

/**
 * Validates and saves a merged configuration, then settles where the manifest comes from (writing one from a
 * folder-per-label tree when there is none): what `edgewise init` and the wizard's Configure both do.
 */
export async function saveConfiguration(root: string, next: Record<string, unknown>, source: string): Promise<{ path: string; config: Config; dataset: DatasetSource }> {
  let config = parseConfig(next, source);
  const dataset = planDatasetSource(root, config);
  if (dataset.paths) {
    next = mergeConfig(next, { paths: dataset.paths });
    config = parseConfig(next, source);
  }
  const path = await saveConfig(root, next);
  await applyDatasetSource(root, config, dataset);
  rememberWorkspace(root);
  return { path, config, dataset };
}

/** Writes edgewise.json from the wizard's answers (validated by the same schema as `edgewise init`). */
export const configureStep: Step<ConfigureInput, ConfigureOutput> = {
  name: 'configure',
  title: 'Save configuration',
  async *run(input, ctx) {
    const next = mergeConfig(readConfigFile(ctx.workspace.root) ?? {}, input.answers);
    const { path, dataset } = await saveConfiguration(ctx.workspace.root, next, 'the answers');
    yield { type: 'artifact', path: ctx.workspace.rel(path), description: 'configuration' };
    if (dataset.kind === 'none') yield { type: 'warning', code: 'configure.no_dataset', message: dataset.message };
    else yield { type: 'log', message: dataset.message };
    if (dataset.write) yield { type: 'artifact', path: dataset.write.path, kind: 'manifest', description: `${dataset.images} images` };
    return { path, dataset };
  },
};
