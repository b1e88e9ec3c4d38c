import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { COLLABORATOR_COLORS, colorFor, collaboratorsFrom, defaultCollabUrl, type Collaborator } from './collab-session';
import CollaboratorList from './CollaboratorList.svelte';
import RemoteCursors from './RemoteCursors.svelte';

describe('collaborators from awareness', () => {
  it('leaves out own client and states without a user', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { user: { name: 'Me', color: '#000' }, cursor: { x: 1, y: 2 } }],
      [2, { user: { name: 'Grace', color: '#1971c2' }, cursor: { x: 10, y: 20 }, selection: ['a', 3, 'b'] }],
      [3, {}],
      [4, { user: { name: 'Ada' }, cursor: { x: 'left' } }],
    ]);

    expect(collaboratorsFrom(states, 1)).toEqual([
      { clientId: 4, name: 'Ada', color: COLLABORATOR_COLORS[0], cursor: null, selection: [] },
      { clientId: 2, name: 'Grace', color: '#1971c2', cursor: { x: 10, y: 20 }, selection: ['a', 'b'] },
    ]);
  });

  it('gives one user one colour', () => {
    expect(colorFor('user-1')).toBe(colorFor('user-1'));
    expect(COLLABORATOR_COLORS).toContain(colorFor('someone else'));
  });

  it('derives the endpoint from the page address', () => {
    expect(defaultCollabUrl({ protocol: 'https:', host: 'mify.example.com' })).toBe('wss://mify.example.com/api/collab');
    expect(defaultCollabUrl({ protocol: 'http:', host: '127.0.0.1:3000' })).toBe('ws://127.0.0.1:3000/api/collab');
  });
});

describe('collaboration components', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  const grace: Collaborator = { clientId: 2, name: 'Grace Hopper', color: '#1971c2', cursor: { x: 100, y: 50 }, selection: [] };
  const away: Collaborator = { clientId: 3, name: 'Ada', color: '#2f9e44', cursor: null, selection: [] };

  it('places cursors through the viewport', () => {
    const props = $state({ collaborators: [grace, away], viewport: { x: 20, y: -10, zoom: 2 } });
    component = mount(RemoteCursors, { target: document.body, props });

    const cursors = document.querySelectorAll<HTMLElement>('[data-testid="remote-cursor"]');
    expect(cursors).toHaveLength(1);
    expect(cursors[0]!.dataset.name).toBe('Grace Hopper');
    expect(cursors[0]!.style.transform).toBe('translate(220px, 90px)');

    props.viewport = { x: 0, y: 0, zoom: 1 };
    flushSync();
    expect(cursors[0]!.style.transform).toBe('translate(100px, 50px)');
  });

  it('lists people with initials and status', () => {
    component = mount(CollaboratorList, { target: document.body, props: { collaborators: [grace, away], status: 'connected', readOnly: true } });

    expect(document.querySelector('[role="status"]')!.textContent).toContain('Live (view only)');
    expect([...document.querySelectorAll('[data-testid="collaborator"] .avatar')].map((node) => node.textContent)).toEqual(['GH', 'A']);
  });
});
