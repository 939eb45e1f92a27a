import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Workspace } from '../../src/core/workspace.js';
import { artifactsRoot, inspectPublic, verifyArtifacts } from '../../src/registry/artifacts.js';
import { pendingPath } from '../../src/registry/pending.js';
import { openStore } from '../../src/registry/open-store.js';

/**
 * "Fully in place": public/models' three files agree with each other and with the registry's active
 * version, every registered version's stored artifacts verify, and no staging or journal is left over.
 * Returns the active version.
 */
export async function expectConsistent(ws: Workspace): Promise<string | undefined> {
  const store = await openStore(ws.registry);
  try {
    const active = await store.active();
    const rows = await store.list();
    const pub = await inspectPublic(ws);
    expect(pub.problems).toEqual([]);
    expect(pub.version).toBe(active);
    if (active !== undefined) {
      const row = rows.find((r) => r.version === active)!;
      expect(pub.modelJson?.tflite_sha256).toBe(row.tflite_sha256);
      expect(pub.modelJson?.labels_sha256).toBe(row.labels_sha256);
    }
    for (const r of rows) await verifyArtifacts(ws, r);
    const dirs = existsSync(artifactsRoot(ws)) ? readdirSync(artifactsRoot(ws)).sort() : [];
    expect(dirs).toEqual(rows.map((r) => r.version).sort());
    expect(existsSync(pendingPath(ws))).toBe(false);
    const events = await store.events();
    for (const r of rows) expect(events.filter((e) => e.version === r.version && e.kind === 'publish')).toHaveLength(1);
    const published = existsSync(ws.publicModelsDir) ? readdirSync(ws.publicModelsDir).filter((f) => f.endsWith('.tflite')).sort() : [];
    expect(published).toEqual(rows.map((r) => `local_model_${r.version}.tflite`).sort());
    return active;
  } finally {
    await store.close();
  }
}

export function publicDirExists(ws: Workspace): boolean {
  return existsSync(join(ws.publicModelsDir, 'model.json'));
}
