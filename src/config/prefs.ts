import Conf from 'conf';

/** Per-user preferences (not per workspace): recent workspaces and UI choices. Never secrets. */
interface Prefs {
  recentWorkspaces: string[];
  ui: { theme?: 'dark' | 'light' };
}

let store: Conf<Prefs> | undefined;

function prefs(): Conf<Prefs> | undefined {
  if (process.env.EDGEWISE_NO_PREFS) return undefined;
  try {
    store ??= new Conf<Prefs>({
      projectName: 'edgewise',
      // Tests and CI point this at a temp folder so they never touch the user's real preferences.
      ...(process.env.EDGEWISE_PREFS_DIR ? { cwd: process.env.EDGEWISE_PREFS_DIR } : {}),
      defaults: { recentWorkspaces: [], ui: {} },
    });
    return store;
  } catch {
    // A read-only home or a broken prefs file must never stop the tool.
    return undefined;
  }
}

export function rememberWorkspace(root: string): void {
  const p = prefs();
  if (!p) return;
  try {
    p.set('recentWorkspaces', [root, ...p.get('recentWorkspaces').filter((r) => r !== root)].slice(0, 10));
  } catch {
    /* preferences are best effort */
  }
}

export function recentWorkspaces(): string[] {
  return prefs()?.get('recentWorkspaces') ?? [];
}

export function uiTheme(): 'dark' | 'light' | undefined {
  return prefs()?.get('ui').theme;
}

export function setUiTheme(theme: 'dark' | 'light'): void {
  prefs()?.set('ui.theme' as keyof Prefs, theme as never);
}
