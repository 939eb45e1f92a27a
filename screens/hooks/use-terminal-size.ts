import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** The terminal's size, re-read on every resize (Ink re-lays out; screens fit themselves to it). */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]); // eslint-disable-line react-hooks/exhaustive-deps
  return size;
}
