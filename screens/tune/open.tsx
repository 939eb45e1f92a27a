import { render, useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { StepContext } from '../../src/core/step.js';
import TuneScreen, { type TuneScreenProps } from '../tune.js';
import { hasCtrlC } from '../hooks/keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';

export interface OpenTuneOptions {
  ctx: StepContext;
  model?: string;
  negatives?: string;
  split?: 'auto' | 'validation' | 'test';
  target?: number;
  maxFalseAccept?: number;
}

type Extra = Omit<TuneScreenProps, 'ctx' | 'isActive' | 'columns' | 'rows' | 'onBack' | 'onDone'>;

/** The tune screen on its own (`edgewise tune` on a terminal): follows resizes; Ctrl-C quits with 130. */
export function TuneApp({ ctx, extra, onExit }: { ctx: StepContext; extra: Extra; onExit(code: number, summary?: string): void }) {
  const { exit } = useApp();
  const size = useTerminalSize();
  const [code, setCode] = useState<number | undefined>(undefined);
  const [summary, setSummary] = useState<string | undefined>(undefined);
  useInput((input, key) => {
    if (hasCtrlC(input, key)) setCode(130);
  });
  // Exit from an effect, after the last state change has been drawn.
  useEffect(() => {
    if (code !== undefined) {
      onExit(code, summary);
      exit();
    }
  }, [code]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <TuneScreen
      {...extra}
      ctx={ctx}
      isActive={code === undefined}
      columns={size.columns}
      rows={size.rows}
      onBack={() => setCode(0)}
      onDone={(s) => setSummary(s)}
    />
  );
}

export async function openTuneScreen(opts: OpenTuneOptions): Promise<{ exitCode: number; output: unknown; human: string }> {
  const controller = new AbortController();
  const ctx: StepContext = { ...opts.ctx, signal: AbortSignal.any([opts.ctx.signal, controller.signal]) };
  const { ctx: _c, ...extra } = opts;
  let exitCode = 0;
  let summary: string | undefined;
  process.stdin.resume();
  const app = render(
    <TuneApp
      ctx={ctx}
      extra={extra}
      onExit={(c, s) => {
        exitCode = c;
        summary = s;
        if (c === 130) controller.abort();
      }}
    />,
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit();
  // Stop reading the terminal (a resumed stdin keeps Node alive); ref() keeps a later prompt working.
  process.stdin.pause();
  process.stdin.ref();
  return {
    exitCode,
    output: { cancelled: exitCode === 130, ...(summary ? { summary } : {}) },
    human: exitCode === 130 ? 'Cancelled.' : summary ? `Tune: ${summary}` : 'Tune: left without saving.',
  };
}
