import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type ChatWidgetReply } from '$lib/api';
import ChatWidget from './ChatWidget.svelte';
import { SESSION_KEY_PREFIX, widgetSessionId } from './widget-session';

const CONFIG = { id: 'ws_1:doc_1', title: 'Help desk', greeting: 'Ask me anything' };

function typeAndSend(text: string) {
  const box = document.querySelector('textarea')!;
  box.value = text;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
  document.querySelector('form')!.requestSubmit();
}

async function settle() {
  for (let i = 0; i < 5; i += 1) await tick();
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

function shownMessages(): string[] {
  return [...document.querySelectorAll('li[data-role]')].map((item) => `${item.getAttribute('data-role')}: ${item.textContent}`);
}

describe('ChatWidget', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    component = undefined;
    document.body.innerHTML = '';
  });

  it('shows the title and greeting', () => {
    component = mount(ChatWidget, { target: document.body, props: { config: CONFIG, send: async () => ({ reply: '', message: '', remainingToday: 1 }) } });

    expect(document.querySelector('h1')?.textContent).toBe('Help desk');
    expect(document.querySelector('.greeting')?.textContent).toBe('Ask me anything');
  });

  it('shows the stored message and the reply', async () => {
    const sent: string[] = [];
    const send = async (content: string): Promise<ChatWidgetReply> => {
      sent.push(content);
      return { reply: 'You said: mail [EMAIL]', message: 'mail [EMAIL]', remainingToday: 9 };
    };
    component = mount(ChatWidget, { target: document.body, props: { config: CONFIG, send } });

    typeAndSend('mail ada@example.com');
    await settle();

    expect(sent).toEqual(['mail ada@example.com']);
    expect(shownMessages()).toEqual(['user: mail [EMAIL]', 'assistant: You said: mail [EMAIL]']);
  });

  it('shows an exhausted quota and keeps the draft', async () => {
    const send = async (): Promise<ChatWidgetReply> => {
      throw new ApiError({ type: 'about:blank', title: 'quota exhausted', status: 429, code: 'quota_exhausted', detail: 'This chat has answered its 2 messages for today (UTC); try again tomorrow.' });
    };
    component = mount(ChatWidget, { target: document.body, props: { config: CONFIG, send } });

    typeAndSend('hello');
    await settle();

    expect(document.querySelector('[role="alert"]')?.textContent).toContain('its 2 messages for today');
    expect(shownMessages()).toEqual([]);
    expect(document.querySelector('textarea')!.value).toBe('hello');
  });

  it('does not send an empty message', async () => {
    let calls = 0;
    component = mount(ChatWidget, { target: document.body, props: { config: CONFIG, send: async () => ((calls += 1), { reply: '', message: '', remainingToday: 0 }) } });

    typeAndSend('   ');
    await settle();

    expect(calls).toBe(0);
  });
});

describe('widgetSessionId', () => {
  it('keeps one id per widget in storage', () => {
    localStorage.clear();

    const first = widgetSessionId('ws_1:doc_1', localStorage);
    const again = widgetSessionId('ws_1:doc_1', localStorage);
    const other = widgetSessionId('ws_1:doc_2', localStorage);

    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(localStorage.getItem(`${SESSION_KEY_PREFIX}ws_1:doc_1`)).toBe(first);
  });

  it('works without storage', () => {
    const blocked = { getItem: () => { throw new Error('blocked'); } } as unknown as Storage;

    expect(widgetSessionId('ws_1:doc_1', blocked)).toMatch(/^[0-9a-f]{32}$/);
  });
});
