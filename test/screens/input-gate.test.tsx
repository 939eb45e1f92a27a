import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/core/context.js';
import { stepStates } from '../../src/core/status.js';
import { App } from '../../screens/app.js';
import { InputGate } from '../../screens/input-gate.js';
import { flush, keys, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

/** A terminal's stdin: a stream with raw-mode controls that record what they were asked. */
function fakeTerminal() {
  const calls: string[] = [];
  const s = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode: (on: boolean) => void calls.push(`raw ${on}`),
    ref: () => void calls.push('ref'),
    unref: () => void calls.push('unref'),
  });
  return { source: s as unknown as NodeJS.ReadStream, calls };
}

/** What Ink would read from the gate's stream right now. */
function readable(gate: InputGate): string {
  let out = '';
  for (let c = gate.stream.read() as Buffer | null; c !== null; c = gate.stream.read() as Buffer | null) out += c.toString();
  return out;
}

describe('InputGate', () => {
  it('holds keys while closed and delivers them in order when a screen opens it', async () => {
    const { source } = fakeTerminal();
    const gate = new InputGate(source);
    source.write('j');
    source.write('\r');
    await flush();
    expect(gate.held).toBe(2);
    expect(readable(gate)).toBe('');
    gate.open();
    expect(readable(gate)).toBe('j\r');
    source.write('k');
    await flush();
    expect(readable(gate)).toBe('k');
    gate.close();
    source.write('q');
    await flush();
    expect(readable(gate)).toBe('');
    gate.open();
    expect(readable(gate)).toBe('q');
    gate.dispose();
  });

  it('never holds Ctrl-C: it goes through at once, after the keys typed before it', async () => {
    const { source } = fakeTerminal();
    const gate = new InputGate(source);
    source.write('j');
    source.write('\x03');
    await flush();
    expect(readable(gate)).toBe('j\x03');
    gate.dispose();
  });

  it('opens by itself when no screen reports ready in time', async () => {
    const { source } = fakeTerminal();
    const gate = new InputGate(source, 30);
    source.write('x');
    await flush();
    expect(readable(gate)).toBe('');
    await new Promise((r) => setTimeout(r, 60));
    expect(readable(gate)).toBe('x');
    gate.dispose();
  });

  it('passes raw mode and ref/unref to the terminal, as Ink calls them on its stdin', () => {
    const { source, calls } = fakeTerminal();
    const gate = new InputGate(source);
    gate.stream.ref();
    gate.stream.setRawMode(true);
    gate.stream.unref();
    expect(gate.stream.isTTY).toBe(true);
    expect(calls).toEqual(['ref', 'raw true', 'unref']);
    gate.dispose();
  });
});

describe('the wizard opens the gate only once a screen listens', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
    process.env.EDGEWISE_NO_PREFS = '1';
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"local"}\n');
  });
  afterEach(() => tmp.cleanup());

  it('closes it on every change of screen and reopens it once the new screen (loaded lazily) listens', async () => {
    const events: string[] = [];
    let send: (k: string) => void = () => {};
    const gate = {
      open: () => {
        events.push('open');
        // What the gate delivers on opening must reach the screen: on the validate screen, Esc goes back.
        if (events.filter((e) => e === 'open').length === 2) send(keys.escape);
      },
      close: () => events.push('close'),
    };
    const controller = new AbortController();
    const ui = render(
      <App
        loadContext={() => createContext({ root: tmp.dir, env: {}, signal: controller.signal })}
        loadStates={(ctx) => stepStates(tmp.dir, ctx.journal)}
        detected={{ imageFolders: [] }}
        controller={controller}
        onExit={() => {}}
        inputGate={gate}
      />,
    );
    send = (k) => ui.stdin.write(k);
    await waitFor(() => events.length > 0);
    expect(events).toEqual(['open']);
    expect(ui.lastFrame()).toContain('Next: Validate');
    ui.stdin.write(keys.enter);
    // Home → validate (Esc delivered the moment it opened) → home again.
    await waitFor(() => events.length >= 5);
    expect(events).toEqual(['open', 'close', 'open', 'close', 'open']);
    await waitFor(() => (ui.lastFrame() ?? '').includes('Next: Validate'));
    controller.abort();
    ui.unmount();
  });
});

describe('edgewise tune has the same gate (one host, screens/open.tsx)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
    process.env.EDGEWISE_NO_PREFS = '1';
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"local"}\n');
  });
  afterEach(() => tmp.cleanup());

  it('opens it once the tune screen listens, and a key it held then reaches the screen', async () => {
    const { TuneApp } = await import('../../screens/tune/standalone.js');
    const opened: string[] = [];
    const exits: number[] = [];
    let send: (k: string) => void = () => {};
    const ctx = createContext({ root: tmp.dir, env: {}, signal: new AbortController().signal });
    const ui = render(
      <TuneApp
        ctx={ctx}
        extra={{}}
        onExit={(c) => exits.push(c)}
        onReady={() => {
          opened.push('open');
          // Esc held until now: the screen (no predictions here, so still loading or failed) goes back.
          setImmediate(() => send(keys.escape));
        }}
      />,
    );
    send = (k) => ui.stdin.write(k);
    await waitFor(() => exits.length > 0);
    expect(opened).toEqual(['open']);
    expect(exits).toEqual([0]);
    ui.unmount();
  });
});
