import { describe, expect, it } from 'vitest';
import { backgroundOf, darkTheme, lightTheme, pickTheme } from '../../screens/theme.js';

const NAMED = ['red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'redBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'cyanBright'];

describe('theme: light and dark terminals', () => {
  it('reads the background from EDGEWISE_THEME first, then COLORFGBG', () => {
    expect(backgroundOf({})).toBe('dark');
    expect(backgroundOf({ COLORFGBG: '15;0' })).toBe('dark');
    expect(backgroundOf({ COLORFGBG: '0;15' })).toBe('light');
    expect(backgroundOf({ COLORFGBG: '0;default;7' })).toBe('light');
    expect(backgroundOf({ COLORFGBG: '0;15', EDGEWISE_THEME: 'dark' })).toBe('dark');
    expect(backgroundOf({ EDGEWISE_THEME: 'LIGHT' })).toBe('light');
    expect(backgroundOf({ COLORFGBG: 'garbage' })).toBe('dark');
  });

  it('uses only named palette colours, never black/white/grey, and avoids cyan and yellow on light backgrounds', () => {
    for (const t of [darkTheme, lightTheme]) for (const c of Object.values(t)) expect(NAMED).toContain(c);
    expect(Object.values(lightTheme)).not.toContain('cyan');
    expect(Object.values(lightTheme)).not.toContain('yellow');
    expect(pickTheme({ COLORFGBG: '0;15' })).toBe(lightTheme);
    expect(pickTheme({})).toBe(darkTheme);
  });
});
