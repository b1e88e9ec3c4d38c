import { describe, expect, it } from 'vitest';
import { isTextTarget, shortcutOf } from './shortcuts';

function key(keyName: string, modifiers: { ctrl?: boolean; meta?: boolean; shift?: boolean; alt?: boolean } = {}, target: EventTarget | null = document.body) {
  return { key: keyName, ctrlKey: modifiers.ctrl ?? false, metaKey: modifiers.meta ?? false, shiftKey: modifiers.shift ?? false, altKey: modifiers.alt ?? false, target };
}

describe('shortcutOf', () => {
  it.each([
    [key('s', { ctrl: true }), 'save'],
    [key('Enter', { ctrl: true }), 'run'],
    [key('z', { ctrl: true }), 'undo'],
    [key('Z', { ctrl: true, shift: true }), 'redo'],
    [key('y', { ctrl: true }), 'redo'],
    [key('c', { ctrl: true }), 'copy'],
    [key('v', { ctrl: true }), 'paste'],
    [key('?', { shift: true }), 'help'],
    [key('L', { shift: true }), 'layout'],
  ])('maps %o to %s', (event, action) => {
    expect(shortcutOf(event, false)).toBe(action);
  });

  it('uses Cmd on macOS', () => {
    expect(shortcutOf(key('z', { meta: true }), true)).toBe('undo');
    expect(shortcutOf(key('z', { ctrl: true }), true)).toBeNull();
  });

  it('leaves text editing keys to fields', () => {
    const input = document.createElement('input');
    expect(shortcutOf(key('z', { ctrl: true }, input), false)).toBeNull();
    expect(shortcutOf(key('v', { ctrl: true }, input), false)).toBeNull();
    expect(shortcutOf(key('?', { shift: true }, input), false)).toBeNull();
  });

  it('saves and runs from fields', () => {
    const textarea = document.createElement('textarea');
    expect(shortcutOf(key('s', { ctrl: true }, textarea), false)).toBe('save');
    expect(shortcutOf(key('Enter', { ctrl: true }, textarea), false)).toBe('run');
  });

  it('ignores plain letters', () => {
    expect(shortcutOf(key('a'), false)).toBeNull();
  });
});

describe('isTextTarget', () => {
  it('tells text fields from other controls', () => {
    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    expect(isTextTarget(checkbox)).toBe(false);
    expect(isTextTarget(document.createElement('input'))).toBe(true);
    expect(isTextTarget(document.createElement('select'))).toBe(true);
    expect(isTextTarget(document.createElement('button'))).toBe(false);
    expect(isTextTarget(null)).toBe(false);
  });
});
