import { describe, expect, it } from 'vitest';
import { applyTheme, readStoredTheme, resolveTheme, storeTheme } from './theme';

describe('resolveTheme', () => {
  it.each([
    ['dark', false, 'dark'],
    ['light', true, 'light'],
    [null, true, 'dark'],
    [null, false, 'light'],
    ['purple', true, 'dark'],
  ] as const)('stored %s with system dark %s gives %s', (stored, prefersDark, expected) => {
    expect(resolveTheme(stored, prefersDark)).toBe(expected);
  });
});

describe('theme storage', () => {
  it('stores the choice and applies it to the root element', () => {
    storeTheme('dark');
    applyTheme('dark');

    expect(readStoredTheme()).toBe('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
  });
});
