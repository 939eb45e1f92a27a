/**
 * The wizard's colours: the 16 named ANSI colours only, so the terminal's own palette (light or dark,
 * high-contrast, solarized…) decides how they look; never white, black or grey for meaning. Two sets:
 * dark backgrounds (the default) and light ones, where cyan and yellow wash out. Light is chosen by
 * EDGEWISE_THEME=light, or by COLORFGBG (set by several terminals) naming a light background.
 * With NO_COLOR or TERM=dumb, FORCE_COLOR=0 is set before Ink loads and all of this renders as plain text.
 */
export interface Theme {
  accent: string;
  ok: string;
  warn: string;
  error: string;
  todo: string;
}

export const darkTheme: Theme = { accent: 'cyan', ok: 'green', warn: 'yellow', error: 'red', todo: 'magenta' };
export const lightTheme: Theme = { accent: 'blue', ok: 'green', warn: 'magenta', error: 'red', todo: 'blue' };

/** Light or dark, from EDGEWISE_THEME, else COLORFGBG ("fg;bg": bg 7 or 9–15 is a light background). */
export function backgroundOf(env: NodeJS.ProcessEnv = process.env): 'light' | 'dark' {
  const forced = env.EDGEWISE_THEME?.toLowerCase();
  if (forced === 'light' || forced === 'dark') return forced;
  const bg = Number(env.COLORFGBG?.split(';').pop());
  return Number.isInteger(bg) && (bg === 7 || (bg >= 9 && bg <= 15)) ? 'light' : 'dark';
}

export function pickTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  return backgroundOf(env) === 'light' ? lightTheme : darkTheme;
}

export const theme: Theme = pickTheme();

export const stateMark = { done: '✔', stale: '↻', todo: '·' } as const;
