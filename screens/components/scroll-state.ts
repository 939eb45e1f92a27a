/** Pure scrolling state for a list of lines shown `height` at a time. Every key is one action. */
export interface ScrollState {
  offset: number;
}

export type ScrollAction =
  | { type: 'line'; delta: number }
  | { type: 'page'; delta: number }
  | { type: 'top' }
  | { type: 'bottom' };

export function maxOffset(total: number, height: number): number {
  return Math.max(0, total - Math.max(1, height));
}

export function clampOffset(offset: number, total: number, height: number): number {
  return Math.min(Math.max(0, offset), maxOffset(total, height));
}

/** `total` and `height` are read at dispatch time, so a resize between keys is taken into account. */
export function scrollReducer(state: ScrollState, action: ScrollAction & { total: number; height: number }): ScrollState {
  const { total, height } = action;
  const page = Math.max(1, height - 1);
  const cur = clampOffset(state.offset, total, height);
  switch (action.type) {
    case 'line':
      return { offset: clampOffset(cur + action.delta, total, height) };
    case 'page':
      return { offset: clampOffset(cur + action.delta * page, total, height) };
    case 'top':
      return { offset: 0 };
    case 'bottom':
      return { offset: maxOffset(total, height) };
  }
}
