import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StepContext } from './step.js';
import { Workspace } from './workspace.js';

export interface ContextOptions {
  root: string;
  signal?: AbortSignal;
  force?: boolean;
  /** Already-loaded config (tests, the demo); otherwise loaded from the workspace. */
  config?: Config;
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/** Builds the context every step receives. */
export function createContext(opts: ContextOptions): StepContext {
  const config = opts.config ?? loadConfig({ root: opts.root, env: opts.env ?? process.env, flags: opts.flags ?? {} });
  const workspace = new Workspace(opts.root, config);
  return {
    signal: opts.signal ?? new AbortController().signal,
    workspace,
    journal: workspace.journal,
    config,
    force: opts.force ?? false,
  };
}
