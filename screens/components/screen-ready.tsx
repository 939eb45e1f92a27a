import { useEffect, type ReactNode } from 'react';

/**
 * Reports a screen ready for keys (opens the input gate, input-gate.ts). Effects run children first, so when
 * this one runs the screen below it has subscribed to input; inside Suspense it mounts only once a lazily
 * loaded screen has.
 */
export function ScreenReady({ onReady, children }: { onReady: (() => void) | undefined; children: ReactNode }) {
  useEffect(() => {
    onReady?.();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return <>{children}</>;
}
