import { existsSync, readdirSync } from 'node:fs';
import { formatVersion, parseVersion } from '../core/workspace.js';

/** The next free `vNNN` folder name under the models folder (v001 when there is none). */
export function nextModelVersion(modelsDir: string): string {
  if (!existsSync(modelsDir)) return formatVersion(1);
  let max = 0;
  for (const name of readdirSync(modelsDir)) {
    const n = parseVersion(name);
    if (n !== undefined && n > max) max = n;
  }
  return formatVersion(max + 1);
}
