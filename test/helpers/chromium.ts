import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Debian's headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: messages
 * are JSON separated by NUL bytes on fds 3 and 4), so tests can ask the rendered page about its DOM and
 * layout, and see every console message and network request, without a browser-automation dependency.
 */

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export interface ChromiumPage {
  /** Runs an expression in the page and returns its value (JSON). */
  evaluate<T>(expression: string): Promise<T>;
  /** PNG of the whole page. */
  screenshot(): Promise<Buffer>;
  /** Console errors and warnings, uncaught exceptions, failed loads and browser log errors (CSP refusals land here). */
  readonly problems: string[];
  /** Every URL the page requested (the page itself included). */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function openInChromium(url: string, viewport = { width: 1200, height: 900 }): Promise<ChromiumPage> {
  if (!CHROMIUM) throw new Error('Debian package `chromium` is required (apt-get install -y chromium)');
  const profile = mkdtempSync(join(tmpdir(), 'edgewise-chromium-'));
  const proc: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
    ],
    // Its own process group: /usr/bin/chromium is a wrapper script, and close() must end the browser under it too.
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const out = proc.stdio[3] as Writable;
  const inp = proc.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners: Array<(m: Message) => void> = [];
  let buf = '';
  inp.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i)) as Message;
      buf = buf.slice(i + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(msg.error.message));
        else p.resolve(msg.result ?? {});
      } else for (const l of listeners) l(msg);
    }
  });
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });

  const problems: string[] = [];
  const requests: string[] = [];
  const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  let loaded: () => void = () => {};
  const loadedP = new Promise<void>((res) => (loaded = res));
  listeners.push((m) => {
    if (m.sessionId !== sessionId || !m.method) return;
    const p = m.params ?? {};
    if (m.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(p.type as string)) problems.push(`console.${String(p.type)}: ${JSON.stringify(p.args)}`);
    if (m.method === 'Runtime.exceptionThrown') problems.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
    if (m.method === 'Log.entryAdded') {
      const e = p.entry as { level: string; text: string; url?: string };
      if (e.level === 'error' || e.level === 'warning') problems.push(`log ${e.level}: ${e.text} ${e.url ?? ''}`);
    }
    if (m.method === 'Network.requestWillBeSent') requests.push((p.request as { url: string }).url);
    if (m.method === 'Network.loadingFailed') problems.push(`load failed: ${String(p.errorText)}`);
    if (m.method === 'Page.loadEventFired') loaded();
  });
  for (const method of ['Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable']) await send(method, {}, sessionId);
  await send('Emulation.setDeviceMetricsOverride', { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false }, sessionId);
  await send('Page.navigate', { url }, sessionId);
  await loadedP;

  return {
    problems,
    requests,
    async evaluate<T>(expression: string): Promise<T> {
      const r = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as { result: { value: T }; exceptionDetails?: unknown };
      if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    },
    async screenshot(): Promise<Buffer> {
      const { cssContentSize: size } = (await send('Page.getLayoutMetrics', {}, sessionId)) as { cssContentSize: { width: number; height: number } };
      const clip = { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height), scale: 1 };
      const r = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip }, sessionId)) as { data: string };
      return Buffer.from(r.data, 'base64');
    },
    async close(): Promise<void> {
      send('Browser.close').catch(() => {}); // the reply may never come: the browser is gone
      const timer = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
      // Chromium's helper processes may still be writing the profile for a moment after it exits.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
