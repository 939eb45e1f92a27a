import type { RegisterCommand } from '../harness.js';
import { register as init } from './init.js';
import { register as demo } from './demo.js';

/**
 * The command table, in the order of the job. Each module registers its own subcommand; their actions load
 * the heavy code lazily so `edgewise --help` stays fast.
 */
export const commands: RegisterCommand[] = [
  init,
  demo,
];
