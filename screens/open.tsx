import { render } from 'ink';
import { createContext } from '../src/core/context.js';
import { describeError } from '../src/core/errors.js';
import { escapeControls } from '../src/core/text.js';
import { stepStates } from '../src/core/status.js';
import { detectSetup } from '../src/config/detect.js';
import { rememberWorkspace } from '../src/config/prefs.js';
import { App } from './app.js';
import { InputGate } from './input-gate.js';

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
  // After @inquirer prompts stdin may be paused, and Ink would unmount at once.
  process.stdin.resume();
  // Raw mode before the first frame: keys typed while Ink mounts are neither echoed nor line-buffered.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  // ...and they wait for the screen that will listen to them (input-gate.ts).
  const gate = process.stdin.isTTY ? new InputGate(process.stdin) : undefined;
  const app = render(
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
    />,
    { exitOnCtrlC: false, ...(gate ? { stdin: gate.stream } : {}) },
  );
  await app.waitUntilExit();
  gate?.dispose();
  // Release the terminal: a resumed stdin would keep the process alive after the last frame.
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  return code;
}
