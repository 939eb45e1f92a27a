import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An independent recorder of what reaches a fake: Debian's `socat` as a TCP relay in front of it, dumping
 * the raw bytes the client sent (`-r FILE`). The requests are read back from those bytes, so a test can
 * check what went over the wire without trusting the fake's own bookkeeping (or the client's).
 */
export interface RecordedRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface SocatRecorder {
  /** http://127.0.0.1:PORT, the relay's address: point the client here. */
  url: string;
  /** Stops socat and parses the requests it relayed, in order. */
  stop(): Promise<RecordedRequest[]>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitListening(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`socat exited (${child.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`socat did not listen on ${port}: ${stderr()}`);
}

/** Starts `socat -r DUMP TCP-LISTEN:PORT,fork TCP:127.0.0.1:<targetPort>`. Needs socat installed (.ci/run installs it). */
export async function startSocatRecorder(targetPort: number): Promise<SocatRecorder> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewise-socat-'));
  const dump = join(dir, 'requests.raw');
  const port = await freePort();
  let err = '';
  const child = spawn('socat', ['-r', dump, `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:127.0.0.1:${targetPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawned) throw new Error(`Cannot start socat (install it: apt-get install socat): ${spawned.message}`);
  await waitListening(port, child, () => err);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      try {
        return parseHttpRequests(readFileSync(dump));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** HTTP/1.1 requests back to back (as the client sent them, one at a time), bodies by Content-Length or chunked. */
export function parseHttpRequests(raw: Buffer): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) throw new Error(`recorded traffic ends inside a request head at byte ${at}`);
    const [line, ...headerLines] = raw.subarray(at, end).toString('latin1').split('\r\n');
    const [method, target] = line!.split(' ');
    const headers: Record<string, string> = {};
    for (const h of headerLines) {
      const i = h.indexOf(':');
      headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
    at = end + 4;
    let body: Buffer;
    if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', at, 'latin1');
        const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at = raw.indexOf('\r\n', at, 'latin1') + 2;
          break;
        }
        parts.push(raw.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const n = Number(headers['content-length'] ?? 0);
      body = raw.subarray(at, at + n);
      at += n;
    }
    out.push({ method: method!, target: target!, headers, body });
  }
  return out;
}
