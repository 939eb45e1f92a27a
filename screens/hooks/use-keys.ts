import { useInput } from 'ink';
import { keyActions, type KeyPress, type KeyTable } from '../keys/key-table.js';

/**
 * The one way a screen reads keys: each press in an input event (several when typed ahead over SSH) is
 * matched against the screen's table and handed over as its action, in order. `onOther` gets the presses
 * the table does not bind (Tune applies a typed number on them).
 */
export function useKeys<A extends string, S>(
  table: KeyTable<A, S>,
  onAction: (action: A, press: KeyPress) => void,
  options: { isActive: boolean; onOther?: (press: KeyPress) => void },
): void {
  useInput(
    (input, key) => {
      for (const { action, press } of keyActions(table, input, key)) {
        if (action !== undefined) onAction(action, press);
        else options.onOther?.(press);
      }
    },
    { isActive: options.isActive },
  );
}
