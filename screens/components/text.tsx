import { Children, type ReactNode } from 'react';
import { Text as InkText, type TextProps } from 'ink';
import { escapeControls } from '../../src/core/text.js';

/**
 * Every screen's Text: ink's, with each string child passed through escapeControls, so a file name, label
 * or cloud resource name holding terminal escapes is shown rather than obeyed. Screens import Text from
 * here, never from 'ink' (test/screens/terminal-escapes.test.tsx checks), so no call site can forget.
 */
export function Text({ children, ...props }: TextProps) {
  return <InkText {...props}>{escapeChildren(children)}</InkText>;
}

function escapeChildren(children: ReactNode): ReactNode {
  if (typeof children === 'string') return escapeControls(children);
  if (!Array.isArray(children)) return children; // one element (nested Text escapes its own) or a number
  return Children.map(children, (c) => (typeof c === 'string' ? escapeControls(c) : c));
}
