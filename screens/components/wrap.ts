/**
 * Word-wraps one line of plain text to `width` columns; lines after the first start with `indent`. A word
 * longer than a line (a long path) is broken across lines rather than cut, so nothing is lost.
 */
export function wrapWords(text: string, width: number, indent = ''): string[] {
  const w = Math.max(indent.length + 8, width);
  const out: string[] = [];
  let line = '';
  const push = () => {
    out.push(line);
    line = indent;
  };
  for (const word of text.split(/ +/)) {
    if (word === '') continue;
    const sep = line.trim() === '' ? '' : ' ';
    if (line.length + sep.length + word.length <= w) {
      line += sep + word;
      continue;
    }
    if (line.trim() !== '') push();
    let rest = word;
    while (line.length + rest.length > w) {
      const room = w - line.length;
      line += rest.slice(0, room);
      rest = rest.slice(room);
      push();
    }
    line += rest;
  }
  if (line.trim() !== '' || out.length === 0) out.push(line);
  return out;
}

/**
 * A description in `width` columns, shortened by whole clauses (ending before `, `, `; ` or ` · `) rather than
 * cut mid-word: descriptions are lists that lead with what matters most. Cut with `…` only when even the
 * first clause is wider.
 */
export function fitClauses(text: string, width: number): string {
  if (text.length <= width) return text;
  let best = '';
  for (const m of text.matchAll(/, |; | · /g)) {
    if (m.index > width) break;
    best = text.slice(0, m.index);
  }
  return best || text.slice(0, Math.max(0, width - 1)) + '…';
}
