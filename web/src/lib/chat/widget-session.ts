/** Key prefix of the widget session ids kept in the visitor's localStorage, one per widget. */
export const SESSION_KEY_PREFIX = 'mify.chat-widget.session.';

/** Returns 32 random hex characters: a session id that the public message route accepts (8-100 of [A-Za-z0-9_-]). */
export function newSessionId(random: Pick<Crypto, 'getRandomValues'> = globalThis.crypto): string {
  const bytes = random.getRandomValues(new Uint8Array(16));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Returns the visitor's session id for a widget, kept in `storage` so that a reload
 * continues the conversation the graph remembers. A browser that blocks storage in
 * third-party iframes throws on access; then the id lives as long as the page.
 */
export function widgetSessionId(widgetId: string, storage: Storage | null): string {
  const key = `${SESSION_KEY_PREFIX}${widgetId}`;
  try {
    const stored = storage?.getItem(key);
    if (stored && /^[A-Za-z0-9_-]{8,100}$/.test(stored)) return stored;
    const created = newSessionId();
    storage?.setItem(key, created);
    return created;
  } catch {
    return newSessionId();
  }
}
