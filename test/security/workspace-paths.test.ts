import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashValue } from '../../src/core/hash.js';
import { artifactsRoot } from '../../src/registry/artifacts.js';
import { pendingPath } from '../../src/registry/pending.js';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { parsePredictions } from '../../src/tune/predictions.js';
import { makeWorkspace, writeRun } from '../registry/fixtures.js';

/**
 * Issue 15, item 1: paths read from workspace files (and from the network) are never deleted, renamed or
 * written outside the folder the operation owns. Each case fails (deletes or writes the victim) without the fix.
 */
let w: ReturnType<typeof makeWorkspace> | undefined;
const victims: string[] = [];
afterEach(() => {
  w?.cleanup();
  w = undefined;
  for (const v of victims.splice(0)) rmSync(v, { recursive: true, force: true });
});

/** A folder outside the workspace holding a file someone cares about. */
function victim(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgewise-victim-'));
  victims.push(dir);
  writeFileSync(join(dir, 'precious.txt'), 'do not delete');
  return dir;
}

function writePendingFile(ws: { stateDir: string }, op: Record<string, unknown>): void {
  mkdirSync(ws.stateDir, { recursive: true });
  writeFileSync(join(ws.stateDir, 'registry-pending.json'), JSON.stringify({ started_at: '2026-01-01T00:00:00Z', pid: 1, ...op }));
}

describe('registry recovery only touches what it derives itself', () => {
  it('`versions` refuses a pending journal naming a folder outside the workspace, and deletes nothing', async () => {
    w = makeWorkspace();
    const home = victim();
    writePendingFile(w.ws, { op: 'publish', version: 'v001', staging: home });
    await expect(listVersions(w.ws)).rejects.toMatchObject({ code: 'workspace.untrusted_path', item: '.edgewise/registry-pending.json', exitCode: 2 });
    expect(readFileSync(join(home, 'precious.txt'), 'utf8')).toBe('do not delete');
    // Nothing was cleared either: the user decides what to do with the file.
    expect(existsSync(pendingPath(w.ws))).toBe(true);
  });

  it('publish refuses a version that climbs out of the artifacts folder (it would have deleted the workspace root)', async () => {
    w = makeWorkspace();
    writeRun(w.root, 'v001');
    // A MANIFEST.json at the workspace root whose hash the journal claims: recovery's "undo" would rm -r it.
    const files = {};
    writeFileSync(join(w.root, 'MANIFEST.json'), JSON.stringify({ version: 'x', files }));
    writePendingFile(w.ws, { op: 'publish', version: '../../..', staging: join(artifactsRoot(w.ws), '.staging-0123456789ab'), content_sha256: hashValue(files) });
    await expect(publish(w.ws, {})).rejects.toMatchObject({ code: 'workspace.untrusted_path' });
    expect(existsSync(join(w.root, 'ml', 'models', 'v001', 'model.tflite'))).toBe(true);
    expect(existsSync(join(w.root, 'MANIFEST.json'))).toBe(true);
  });

  it('refuses a staging folder that is a symlink out of the artifacts folder', async () => {
    w = makeWorkspace();
    const home = victim();
    const root = artifactsRoot(w.ws);
    mkdirSync(root, { recursive: true });
    symlinkSync(home, join(root, '.staging-0123456789ab'));
    writePendingFile(w.ws, { op: 'publish', version: 'v001', staging: join(root, '.staging-0123456789ab') });
    await expect(listVersions(w.ws)).rejects.toMatchObject({ code: 'workspace.untrusted_path' });
    expect(readFileSync(join(home, 'precious.txt'), 'utf8')).toBe('do not delete');
  });

  it('still recovers its own interrupted publish: the staged folder named in the journal is removed', async () => {
    w = makeWorkspace();
    const staging = join(artifactsRoot(w.ws), '.staging-00aa11bb22cc');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'model.tflite'), 'half');
    writePendingFile(w.ws, { op: 'publish', version: 'v001', staging });
    writeRun(w.root, 'v001');
    const out = await publish(w.ws, {});
    expect(out).toMatchObject({ status: 'published', version: 'v001' });
    expect(out.recovered).toMatch(/never reached the registry/);
    expect(existsSync(staging)).toBe(false);
  });
});

describe('a predictions file cannot steer where tune writes', () => {
  it('refuses a "version" that is a path (it names thresholds_VERSION.json)', () => {
    const raw = { version: '../../../escaped', labels: ['a', 'b'], temperature: 1, test: [], validation: [] };
    expect(() => parsePredictions(raw, 'ml/metrics/predictions_v001.json')).toThrow(/not a version like v001/);
  });
});
