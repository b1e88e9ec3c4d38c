import { describe, expect, it } from 'vitest';
import { loginPath, safeNextPath } from './navigation';

describe('safeNextPath', () => {
  it.each([
    ['/settings/api-keys', '/settings/api-keys'],
    ['/settings/members?tab=1', '/settings/members?tab=1'],
    [null, '/'],
    ['', '/'],
    ['https://evil.example', '/'],
    ['//evil.example/path', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/login', '/'],
    ['/login?next=/x', '/'],
    ['/setup', '/'],
  ])('maps %s to %s', (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });
});

describe('loginPath', () => {
  it('carries the page as next', () => {
    expect(loginPath(new URL('http://127.0.0.1/settings/api-keys?x=1'))).toBe('/login?next=%2Fsettings%2Fapi-keys%3Fx%3D1');
  });

  it('leaves next out for home', () => {
    expect(loginPath(new URL('http://127.0.0.1/'))).toBe('/login');
  });
});
