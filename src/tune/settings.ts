import { z } from 'zod';
import { InputError } from '../core/errors.js';

/** `config.tune` in edgewise.json: defaults for the command, the screen and the demo. */
export const TuneSettingsSchema = z.object({
  targetAccuracy: z.number().gt(0).max(1).default(0.95),
  maxFalseAccept: z.number().min(0).max(1).optional(),
  /** Folder of photos of none of the classes (workspace-relative). */
  negatives: z.string().min(1).optional(),
  /** Split the thresholds are chosen on; `auto`: validation when it has enough images, else test. */
  split: z.enum(['auto', 'validation', 'test']).default('auto'),
});
export type TuneSettings = z.infer<typeof TuneSettingsSchema>;

export function readTuneSettings(raw: unknown): TuneSettings {
  const r = TuneSettingsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `tune.${i.path.join('.')}: ${i.message}`);
    throw new InputError(`Invalid "tune" settings in edgewise.json:\n  ${lines.join('\n  ')}`, { item: 'edgewise.json (tune)', hint: 'Fix or remove those fields.' });
  }
  return r.data;
}
