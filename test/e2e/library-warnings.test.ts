import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { CLI, assertBuilt } from '../helpers/tmux.js';

/**
 * Without credentials, google-auth-library probes the GCE metadata server; gcp-metadata reports an answer it
 * did not expect with process.emitWarning('MetadataLookupWarning'), which Node printed after edgewise's own
 * clear error. A local "metadata server" answering 500 (GCE_METADATA_HOST) reproduces it.
 */
describe('no stray library output: MetadataLookupWarning', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    assertBuilt();
    server = createServer((_req, res) => {
      res.writeHead(500);
      res.end('metadata says no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('upload without credentials prints the clear error and nothing from the library', async () => {
    const tmp = makeTempDir('edgewise-mdwarn-');
    try {
      mkdirSync(join(tmp.dir, 'home'));
      writeFileSync(join(tmp.dir, 'edgewise.json'), JSON.stringify({ backend: 'vertex', project: 'p-123456', bucket: 'b-bucket' }));
      const r = await new Promise<{ code: number | null; stderr: string; requests: number }>((resolve) => {
        let requests = 0;
        server.on('request', () => requests++);
        const child = spawn(process.execPath, [CLI, 'upload'], {
          cwd: tmp.dir,
          env: { PATH: process.env.PATH ?? '', HOME: join(tmp.dir, 'home'), EDGEWISE_NO_PREFS: '1', GCE_METADATA_HOST: `127.0.0.1:${port}` },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr, requests }));
      });
      expect(r.requests).toBeGreaterThan(0); // the library did probe our metadata server
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('No usable Google Cloud credentials found');
      expect(r.stderr).not.toMatch(/MetadataLookupWarning|\(node:\d+\)|--trace-warnings/);
    } finally {
      tmp.cleanup();
    }
  });
});
