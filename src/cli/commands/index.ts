import type { RegisterCommand } from '../harness.js';
import { register as init } from './init.js';
import { register as validate } from './validate.js';
import { register as split } from './split.js';
import { register as upload } from './upload.js';
import { register as train } from './train.js';
import { register as status } from './status.js';
import { register as watch } from './watch.js';
import { register as cancel } from './cancel.js';
import { register as exportModel } from './export.js';
import { register as evaluate } from './eval.js';
import { register as tune } from './tune.js';
import { register as publish } from './publish.js';
import { register as versions } from './versions.js';
import { register as rollback } from './rollback.js';
import { register as demo } from './demo.js';

/**
 * The command table, in the order of the job. Each module registers its own subcommand; their actions load
 * the heavy code lazily so `edgewise --help` stays fast.
 */
export const commands: RegisterCommand[] = [
  init,
  validate,
  split,
  upload,
  train,
  status,
  watch,
  cancel,
  exportModel,
  evaluate,
  tune,
  publish,
  versions,
  rollback,
  demo,
];
