import type { Key } from 'ink';
import type { FormKey } from '../components/form-state.js';

/** True when the key (or a run of typed-ahead characters) holds Ctrl-C. */
export function hasCtrlC(input: string, key: Partial<Key>): boolean {
  return (Boolean(key.ctrl) && input === 'c') || input.includes('\u0003');
}

/**
 * Ink splits escape sequences into separate key events but hands a run of plain characters over as one
 * input string: "\r\rmy-bucket\r" typed ahead over SSH arrives as a single event without `return` set.
 * This turns such a run back into the keys it was made of, so reducers see Enter as Enter.
 */
export function splitKeys(input: string, key: Partial<Key>): FormKey[] {
  const base: FormKey = { input, ...(key as object) };
  if (input.length <= 1 || !/[\r\n\t\u007f\b\u0003]/.test(input)) return [base];
  const out: FormKey[] = [];
  let text = '';
  const flushText = () => {
    if (text) out.push({ input: text });
    text = '';
  };
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') {
      flushText();
      out.push({ input: '', return: true });
    } else if (ch === '\u007f' || ch === '\b') {
      flushText();
      out.push({ input: '', backspace: true });
    } else if (ch === '\u0003') {
      flushText();
      out.push({ input: 'c', ctrl: true });
    } else if (ch === '\t') {
      flushText();
      out.push({ input: '', tab: true });
    } else text += ch;
  }
  flushText();
  return out;
}
