/** Home screen navigation as a pure reducer (coalesced keys: "↓↓⏎" opens the third entry). */
export interface HomeState {
  cursor: number;
  open?: string;
}

export type HomeAction = { type: 'up' } | { type: 'down' } | { type: 'open' } | { type: 'jump'; index: number } | { type: 'reset' };

export function homeReducer(ids: string[]) {
  return (s: HomeState, a: HomeAction): HomeState => {
    const n = ids.length;
    switch (a.type) {
      case 'up':
        return { cursor: (s.cursor - 1 + n) % n };
      case 'down':
        return { cursor: (s.cursor + 1) % n };
      case 'jump':
        return a.index >= 0 && a.index < n ? { cursor: a.index } : s;
      case 'open':
        return { cursor: s.cursor, open: ids[s.cursor]! };
      case 'reset':
        return { cursor: s.cursor };
    }
  };
}
