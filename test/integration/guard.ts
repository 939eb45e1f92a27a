import net from 'node:net';
import dns from 'node:dns';

/**
 * Blocks every socket that is not to the loopback interface and records the attempt, so a test fails
 * (afterEach: `expect(guard.violations).toEqual([])`) instead of quietly reaching Google.
 */
export interface NetworkGuard {
  violations: string[];
  uninstall(): void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

function targetOf(args: unknown[]): { host: string; port: unknown } | undefined {
  const a = args[0];
  if (Array.isArray(a)) return targetOf(a);
  if (a && typeof a === 'object') {
    const o = a as { host?: string; port?: unknown; path?: string };
    // A unix socket / pipe has a path and no port (http passes its URL path along with host and port).
    if (o.path !== undefined && o.port === undefined && o.host === undefined) return undefined;
    return { host: o.host ?? 'localhost', port: o.port };
  }
  if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: a };
  }
  return undefined; // a path string: unix socket
}

let active: NetworkGuard | undefined;

export function installNetworkGuard(): NetworkGuard {
  if (active) return active;
  const violations: string[] = [];
  const origConnect = net.Socket.prototype.connect;
  const origLookup = dns.lookup;
  const patched = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const t = targetOf(args);
    if (t && !LOOPBACK.has(t.host)) {
      const msg = `blocked non-loopback connection to ${t.host}:${String(t.port)}`;
      violations.push(msg);
      process.nextTick(() => this.destroy(Object.assign(new Error(msg), { code: 'ECONNREFUSED' })));
      return this;
    }
    return (origConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = patched as typeof net.Socket.prototype.connect;
  const lookup = function (hostname: string, ...rest: unknown[]): void {
    if (!LOOPBACK.has(hostname)) violations.push(`blocked DNS lookup of ${hostname}`);
    (origLookup as (...a: unknown[]) => void)(LOOPBACK.has(hostname) ? hostname : 'localhost', ...rest);
  };
  (dns as { lookup: unknown }).lookup = lookup;
  active = {
    violations,
    uninstall() {
      net.Socket.prototype.connect = origConnect;
      (dns as { lookup: unknown }).lookup = origLookup;
      active = undefined;
    },
  };
  return active;
}
