/** Editor actions bound to keys. */
export type ShortcutAction = 'undo' | 'redo' | 'copy' | 'paste' | 'save' | 'run' | 'help' | 'layout';

/** Keyboard shortcuts as the help dialog lists them; `Mod` is Ctrl, or Cmd on macOS. */
export const SHORTCUTS: ReadonlyArray<{ keys: string; action: string }> = [
  { keys: 'Mod+S', action: 'Save the draft' },
  { keys: 'Mod+Enter', action: 'Run the graph' },
  { keys: 'Mod+Z', action: 'Undo' },
  { keys: 'Mod+Shift+Z or Mod+Y', action: 'Redo' },
  { keys: 'Mod+C', action: 'Copy the selected nodes' },
  { keys: 'Mod+V', action: 'Paste nodes' },
  { keys: 'Delete or Backspace', action: 'Delete the selected nodes and edges' },
  { keys: 'Shift+L', action: 'Arrange the nodes automatically' },
  { keys: 'Shift+click or Shift+drag', action: 'Select several nodes' },
  { keys: 'Tab, then Enter', action: 'Focus a node, then select it' },
  { keys: 'Arrow keys', action: 'Move the selected nodes' },
  { keys: '?', action: 'Show this list' },
];

/** Actions that work while typing in a field, because they never edit text. */
const GLOBAL_ACTIONS: ReadonlySet<ShortcutAction> = new Set(['save', 'run']);

/** Tells whether a keyboard event comes from a place where typing edits text. */
export function isTextTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
}

/**
 * Maps a key press to an editor action, or null. In text fields only save
 * and run apply, so undo, copy and paste keep their text meaning there.
 * Copy and paste are returned for the key press; the editor performs them in
 * the clipboard events that follow it.
 */
export function shortcutOf(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey' | 'target'>, isMac: boolean): ShortcutAction | null {
  const mod = isMac ? event.metaKey : event.ctrlKey;
  const key = event.key.toLowerCase();
  let action: ShortcutAction | null = null;

  if (mod && !event.altKey) {
    if (key === 's') action = 'save';
    else if (key === 'enter') action = 'run';
    else if (key === 'z') action = event.shiftKey ? 'redo' : 'undo';
    else if (key === 'y' && !event.shiftKey) action = 'redo';
    else if (key === 'c' && !event.shiftKey) action = 'copy';
    else if (key === 'v' && !event.shiftKey) action = 'paste';
  } else if (!mod && !event.altKey && !event.ctrlKey && !event.metaKey) {
    if (event.key === '?') action = 'help';
    else if (event.key === 'L' && event.shiftKey) action = 'layout';
  }

  if (action === null) return null;
  if (isTextTarget(event.target) && !GLOBAL_ACTIONS.has(action)) return null;
  return action;
}
