import { mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import SideNav from './SideNav.svelte';

function currentOf(label: string): string | null {
  const link = [...document.querySelectorAll('a')].find((anchor) => anchor.textContent === label);
  return link?.getAttribute('aria-current') ?? null;
}

describe('SideNav', () => {
  let component: ReturnType<typeof mount> | undefined;

  afterEach(() => {
    if (component) unmount(component);
    document.body.innerHTML = '';
  });

  it('lists graphs, runs, forms and extensions', () => {
    component = mount(SideNav, { target: document.body, props: { currentPath: '/' } });

    const hrefs = [...document.querySelectorAll('a')].map((anchor) => anchor.getAttribute('href'));
    expect(hrefs).toEqual(['/', '/graphs', '/runs', '/forms', '/settings/api-keys', '/settings/credentials', '/settings/members', '/settings/extensions']);
  });

  it('marks the current page', () => {
    component = mount(SideNav, { target: document.body, props: { currentPath: '/runs' } });

    expect(currentOf('Runs')).toBe('page');
    expect(currentOf('Home')).toBeNull();
  });

  it('marks the section of a nested page', () => {
    component = mount(SideNav, { target: document.body, props: { currentPath: '/graphs/graph_1/versions' } });

    expect(currentOf('Graphs')).toBe('true');
    expect(currentOf('Home')).toBeNull();
    expect(currentOf('Runs')).toBeNull();
  });
});
