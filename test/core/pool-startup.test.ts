import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import { threadsReady } from '../../src/core/pool-startup.js';
import { makeTempDir } from '../helpers/tmp.js';

/** A pool thread that answers like announceStartup after `ms` (its message built by hand: the thread runs plain JS). */
function worker(dir: string, name: string, message: string, ms = 20): string {
  const file = join(dir, name);
  writeFileSync(file, `import { parentPort, threadId } from 'node:worker_threads';\nsetTimeout(() => parentPort.postMessage(${message}), ${ms});\nexport default (x) => x;\n`);
  return pathToFileURL(file).href;
}

describe('threadsReady: a pool is usable once every thread has loaded what it needs', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let pool: Piscina | undefined;
  afterEach(async () => {
    await pool?.destroy();
    tmp?.cleanup();
  });
  const open = (filename: string): Piscina => (pool = new Piscina({ filename, minThreads: 2, maxThreads: 2, atomics: 'disabled' }));

  it("waits for every thread and gives each one's detail", async () => {
    tmp = makeTempDir();
    const p = open(worker(tmp.dir, 'ok.mjs', "{ startup: 'ready', detail: 'backend-' + (threadId > 0) }"));
    expect(await threadsReady(p, 2)).toEqual(['backend-true', 'backend-true']);
  });

  it('rejects with the reason a thread could not start', async () => {
    tmp = makeTempDir();
    const p = open(worker(tmp.dir, 'bad.mjs', "{ startup: 'init-error', message: 'no model for you' }"));
    await expect(threadsReady(p, 2)).rejects.toThrow('no model for you');
  });

  it('stops waiting when cancelled', async () => {
    tmp = makeTempDir();
    const p = open(worker(tmp.dir, 'slow.mjs', "{ startup: 'ready' }", 30_000));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(threadsReady(p, 2, ac.signal)).rejects.toBeInstanceOf(CancelledError);
  });
});
