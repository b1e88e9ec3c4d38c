/** localStorage key of the theme the user chose; absent while the studio follows the system setting. */
export const THEME_STORAGE_KEY = 'mify.theme';

export type Theme = 'light' | 'dark';

export function isTheme(value: unknown): value is Theme {
  return value === 'light' || value === 'dark';
}

/**
 * Returns the theme to show: the stored choice, else the system's
 * prefers-color-scheme. src/app.html applies the same rule before the first paint.
 */
export function resolveTheme(stored: string | null, prefersDark: boolean): Theme {
  if (isTheme(stored)) return stored;
  return prefersDark ? 'dark' : 'light';
}

export function readStoredTheme(): string | null {
  try {
    return localStorage.getItem(THEME_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Without storage the choice lasts until the page reloads.
  }
}

export function prefersDarkQuery(): MediaQueryList {
  return matchMedia('(prefers-color-scheme: dark)');
}

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}
