import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Plumbing shared by the fake servers: body reading, JSON replies, fault injection, a request log. */

export interface Fault {
  method?: string;
  /** Matched against the path without the query string. */
  path?: RegExp;
  /** Reply with this HTTP status (and `body`, a Google error by default). */
  status?: number;
  body?: unknown;
  /**
   * Drop the connection: `before` reading the body, `midbody` after `afterBytes` bytes of it were received,
   * or `reply`: the request is carried out but the connection drops instead of the reply (a lost answer).
   */
  reset?: 'before' | 'midbody' | 'reply';
  afterBytes?: number;
  /** Only requests that carry a body (not a resumable status query). */
  withBody?: boolean;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
}

export interface FakeBase {
  readonly url: string;
  readonly port: number;
  readonly requests: RequestRecord[];
  readonly faults: Fault[];
  /** Added to every request before it is handled (the upload benchmark). */
  latencyMs: number;
  close(): Promise<void>;
}

export function readBody(req: IncomingMessage, limit?: number, onLimit?: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let stopped = false;
    req.on('data', (c: Buffer) => {
      if (stopped) return;
      if (limit !== undefined && n + c.length >= limit) {
        chunks.push(c.subarray(0, Math.max(0, limit - n)));
        n = limit;
        stopped = true;
        onLimit?.();
        resolve(Buffer.concat(chunks));
        return;
      }
      chunks.push(c);
      n += c.length;
    });
    req.on('end', () => {
      if (!stopped) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!stopped) reject(e);
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 408: 'DEADLINE_EXCEEDED',
  409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

/** A Google API error body (google.rpc.Status as JSON, with the legacy `errors` list GCS clients read). */
export function googleError(code: number, message: string, details: unknown[] = []): unknown {
  return { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', errors: [{ message, domain: 'global', reason: STATUS_NAMES[code] ?? 'unknown' }], details } };
}

/** Finds (and consumes one use of) the first fault matching the request. */
export function takeFault(faults: Fault[], method: string, path: string, hasBody = true): Fault | undefined {
  const i = faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path.test(path)) && (!f.withBody || hasBody));
  if (i < 0) return undefined;
  const f = faults[i]!;
  const left = (f.times ?? 1) - 1;
  if (left <= 0) faults.splice(i, 1);
  else f.times = left;
  return f;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, fault: Fault | undefined) => Promise<void>;

/** Starts a node:http server on 127.0.0.1 at a random port, applying latency and faults before `handle`. */
export async function startServer(handle: Handler): Promise<{ server: Server; base: FakeBase }> {
  const requests: RequestRecord[] = [];
  const faults: Fault[] = [];
  const base = { url: '', port: 0, requests, faults, latencyMs: 0, close: async () => {} } as FakeBase & { url: string; port: number };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
      if (base.latencyMs > 0) await new Promise((r) => setTimeout(r, base.latencyMs));
      const len = req.headers['content-length'];
      const hasBody = req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
      const fault = takeFault(faults, req.method ?? 'GET', url.pathname, hasBody);
      if (fault?.reset === 'before') {
        req.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) {
        await readBody(req).catch(() => undefined);
        sendJson(res, fault.status, fault.body ?? googleError(fault.status, `injected ${fault.status}`));
        return;
      }
      if (fault?.reset === 'reply') {
        // Carried out, but the caller never hears back.
        res.writeHead = (() => res) as never;
        res.end = (() => {
          req.socket.destroy();
          return res;
        }) as never;
      }
      await handle(req, res, url, fault);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, googleError(500, `fake server bug: ${(e as Error).message}`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  base.port = port;
  base.url = `http://127.0.0.1:${port}`;
  base.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { server, base };
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}
