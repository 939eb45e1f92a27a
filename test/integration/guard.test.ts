import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import { installNetworkGuard, type NetworkGuard } from './guard.js';
import { startFakeGcs } from './fakes/gcs.js';

let guard: NetworkGuard;
beforeAll(() => {
  guard = installNetworkGuard();
});
afterAll(() => guard.uninstall());

describe('network guard', () => {
  test('blocks and records connections that leave the machine, for http and fetch alike', async () => {
    const err = await new Promise<Error>((resolve) => {
      http.get('http://example.com/', () => resolve(new Error('connected'))).on('error', resolve);
    });
    expect(err.message).toContain('blocked non-loopback connection to example.com:80');
    await expect(fetch('https://oauth2.googleapis.com/token')).rejects.toBeDefined();
    expect(guard.violations).toEqual(['blocked non-loopback connection to example.com:80', 'blocked non-loopback connection to oauth2.googleapis.com:443']);
    guard.violations.length = 0;
  });

  test('lets loopback through', async () => {
    const gcs = await startFakeGcs();
    gcs.addBucket('b');
    const res = await fetch(`${gcs.url}/storage/v1/b/b`);
    expect(res.status).toBe(200);
    await gcs.close();
    expect(guard.violations).toEqual([]);
  });
});
