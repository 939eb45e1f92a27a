import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** Erase the visible screen and move the cursor home (the scrollback is left alone). */
export const ERASE_SCREEN = '\u001B[2J\u001B[H';

/** Resizes coming in a burst (a window being dragged) end in one repaint, after Ink's throttled frame (30 fps). */
const REPAINT_AFTER_MS = 60;

/**
 * The terminal's size, re-read on every resize (Ink re-lays out; screens fit themselves to it). Call it once,
 * at the root of a render: after a resize it also repaints the whole screen.
 *
 * Why the repaint: Ink erases its last frame by moving the cursor up one row per line it drew. When the
 * terminal narrows it re-wraps those lines onto more rows (and on a height change it scrolls rows in or out),
 * so the erase stops short and old rows stay above the new frame: stale rows at the top, a title twice. Ink
 * 6.8 clears only on a narrower width, with the same line count. Writing through `useStdout().write` makes
 * Ink take its frame off, lets the erase-screen through, and then draws its last frame again from the top.
 */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout, write } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    const onResize = () => {
      setSize(read());
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => write(ERASE_SCREEN), REPAINT_AFTER_MS);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
      if (timer) clearTimeout(timer);
    };
  }, [stdout]); // eslint-disable-line react-hooks/exhaustive-deps
  return size;
}
