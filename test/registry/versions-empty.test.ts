import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { listVersions } from '../../src/registry/versions.js';
import { makeWorkspace } from './fixtures.js';

describe('versions before anything is published', () => {
  let w: ReturnType<typeof makeWorkspace> | undefined;
  afterEach(() => w?.cleanup());

  it('lists none, and looking does not create the registry database', async () => {
    w = makeWorkspace();
    const v = await listVersions(w.ws);
    expect(v).toMatchObject({ registry: w.ws.abs(w.ws.registry), active: undefined, versions: [], events: [], public: { version: undefined, problems: [] } });
    expect(existsSync(w.ws.abs(w.ws.registry))).toBe(false);
  });
});
