import { render } from 'ink';
import type { ReactElement } from 'react';
import { createContext } from '../src/core/context.js';
import { describeError } from '../src/core/errors.js';
import { escapeControls } from '../src/core/text.js';
import { stepStates } from '../src/core/status.js';
import type { StepContext } from '../src/core/step.js';
import { detectSetup } from '../src/config/detect.js';
import { rememberWorkspace } from '../src/config/prefs.js';
import { App } from './app.js';
import { InputGate } from './input-gate.js';

/**
 * The one host for a screen on a real terminal: the wizard and `edgewise tune` both run through `host`, which
 * owns stdin for the screen's lifetime and gives it back as it found it.
 */
async function host(root: (gate: InputGate | undefined) => ReactElement): Promise<void> {
  // After @inquirer prompts stdin may be paused, and Ink would unmount at once.
  process.stdin.resume();
  // Raw mode before the first frame: keys typed while Ink mounts are neither echoed nor line-buffered.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  // ...and they wait for the screen that will listen to them (input-gate.ts).
  const gate = process.stdin.isTTY ? new InputGate(process.stdin) : undefined;
  const app = render(root(gate), { exitOnCtrlC: false, ...(gate ? { stdin: gate.stream } : {}) });
  await app.waitUntilExit();
  gate?.dispose();
  // Release the terminal: a resumed stdin would keep the process alive after the last frame; ref() keeps a
  // later prompt (inquirer after Ink) working.
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  process.stdin.ref();
}

export interface OpenOptions {
  root: string;
  initialRoute?: string;
}

/**
 * Starts the wizard on a real terminal and resolves with the exit code: 0, or 130 after Ctrl-C. Errors in
 * edgewise.json are reported before anything is drawn.
 */
export async function openWizard(opts: OpenOptions): Promise<number> {
  const { resolve } = await import('node:path');
  const root = resolve(opts.root);
  const controller = new AbortController();
  let manifest: string;
  try {
    manifest = createContext({ root }).config.paths.manifest;
  } catch (e) {
    const d = describeError(e);
    process.stderr.write(escapeControls(`edgewise: ${d.message}\n${d.hint ? `  → ${d.hint}\n` : ''}`));
    return d.exitCode;
  }
  const detected = detectSetup(root, manifest);
  rememberWorkspace(root);
  let code = 0;
  await host((gate) => (
    <App
      loadContext={() => createContext({ root, signal: controller.signal })}
      loadStates={(ctx) => stepStates(root, ctx.journal)}
      detected={detected}
      controller={controller}
      {...(opts.initialRoute ? { initialRoute: opts.initialRoute } : {})}
      onExit={(c) => {
        code = c;
      }}
      {...(gate ? { inputGate: gate } : {})}
    />
  ));
  return code;
}

export interface OpenTuneOptions {
  ctx: StepContext;
  model?: string;
  negatives?: string;
  split?: 'auto' | 'validation' | 'test';
  target?: number;
  maxFalseAccept?: number;
}

/** The tune screen on its own (`edgewise tune` on a terminal). Its code loads only here, not for the wizard. */
export async function openTuneScreen(opts: OpenTuneOptions): Promise<{ exitCode: number; output: unknown; human: string }> {
  const { TuneApp } = await import('./tune/standalone.js');
  const controller = new AbortController();
  const ctx: StepContext = { ...opts.ctx, signal: AbortSignal.any([opts.ctx.signal, controller.signal]) };
  const { ctx: _c, ...extra } = opts;
  let exitCode = 0;
  let summary: string | undefined;
  await host((gate) => (
    <TuneApp
      ctx={ctx}
      extra={extra}
      onExit={(c, s) => {
        exitCode = c;
        summary = s;
        if (c === 130) controller.abort();
      }}
      {...(gate ? { onReady: () => gate.open() } : {})}
    />
  ));
  return {
    exitCode,
    output: { cancelled: exitCode === 130, ...(summary ? { summary } : {}) },
    human: exitCode === 130 ? 'Cancelled.' : summary ? `Tune: ${summary}` : 'Tune: left without saving.',
  };
}
