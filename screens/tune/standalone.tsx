import { useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { StepContext } from '../../src/core/step.js';
import TuneScreen, { type TuneScreenProps } from '../tune.js';
import { ScreenReady } from '../components/screen-ready.js';
import { APP_KEYS } from '../keys/bindings.js';
import { keyActions } from '../keys/key-table.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';

export type TuneExtra = Omit<TuneScreenProps, 'ctx' | 'isActive' | 'columns' | 'rows' | 'onBack' | 'onDone'>;

/**
 * The tune screen on its own (`edgewise tune` on a terminal), the root open.tsx hosts: follows resizes;
 * Ctrl-C quits with 130; keys typed while it mounts wait in the input gate until it listens.
 */
export function TuneApp({ ctx, extra, onExit, onReady }: { ctx: StepContext; extra: TuneExtra; onExit(code: number, summary?: string): void; onReady?: () => void }) {
  const { exit } = useApp();
  const size = useTerminalSize();
  const [code, setCode] = useState<number | undefined>(undefined);
  const [summary, setSummary] = useState<string | undefined>(undefined);
  useInput((input, key) => {
    if (keyActions(APP_KEYS, input, key).some((k) => k.action === 'quit')) setCode(130);
  });
  // Exit from an effect, after the last state change has been drawn.
  useEffect(() => {
    if (code !== undefined) {
      onExit(code, summary);
      exit();
    }
  }, [code]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <ScreenReady onReady={onReady}>
      <TuneScreen
        {...extra}
        ctx={ctx}
        isActive={code === undefined}
        columns={size.columns}
        rows={size.rows}
        onBack={() => setCode(0)}
        onDone={(s) => setSummary(s)}
      />
    </ScreenReady>
  );
}
