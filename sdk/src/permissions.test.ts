import { describe, expect, it } from 'vitest';

import { isFetchAllowed, parsePermission, PERMISSIONS } from './permissions.js';

describe('parsePermission', () => {
  it('parses every named permission', () => {
    for (const permission of PERMISSIONS) {
      const result = parsePermission(permission);
      expect(result.ok).toBe(true);
      expect(result.ok ? result.permission.kind : undefined).toBe('named');
    }
  });

  it('splits a named permission into namespace and action', () => {
    expect(parsePermission('llm:invoke')).toEqual({ ok: true, permission: { kind: 'named', permission: 'llm:invoke', namespace: 'llm', action: 'invoke' } });
  });

  it('parses a route mount', () => {
    expect(parsePermission('routes:mount:/api/workflow-endpoints')).toEqual({ ok: true, permission: { kind: 'routes:mount', permission: 'routes:mount:/api/workflow-endpoints', path: '/api/workflow-endpoints' } });
  });

  it('parses an exact host', () => {
    expect(parsePermission('http:fetch:api.example.com')).toEqual({ ok: true, permission: { kind: 'http:fetch', permission: 'http:fetch:api.example.com', host: 'api.example.com' } });
  });

  it('parses a wildcard host with a port', () => {
    const result = parsePermission('http:fetch:*.Example.com:8443');
    expect(result).toEqual({ ok: true, permission: { kind: 'http:fetch', permission: 'http:fetch:*.Example.com:8443', host: '*.example.com', port: 8443 } });
  });

  it('parses the any-host wildcard', () => {
    expect(parsePermission('http:fetch:*').ok).toBe(true);
  });

  it('parses a single-label host such as localhost', () => {
    expect(parsePermission('http:fetch:localhost:3000').ok).toBe(true);
  });

  const invalid: Array<[string, RegExp]> = [
    ['kv:admin', /^unknown permission "kv:admin", expected one of graphs:read, .*endpoints:run.*routes:mount:\/api\/<segment> .*, or http:fetch:<host>/],
    ['routes:mount:/api', /invalid mount path/],
    ['routes:mount:/api/a/b', /invalid mount path/],
    ['routes:mount:/other/x', /invalid mount path/],
    ['http:fetch:', /the host is empty/],
    ['http:fetch:*.com', /covers a whole top-level domain/],
    ['http:fetch:a.*.com', /not a valid host pattern/],
    ['http:fetch:-bad.com', /not a valid host pattern/],
    ['http:fetch:host_name.com', /not a valid host pattern/],
    ['http:fetch:api.example.com:0', /invalid port/],
    ['http:fetch:api.example.com:65536', /invalid port/],
    ['http:fetch:api.example.com:080', /invalid port/],
    ['http:fetch:https://api.example.com', /not a valid host pattern/],
  ];

  for (const [value, message] of invalid) {
    it(`rejects ${value}`, () => {
      const result = parsePermission(value);
      expect(result.ok ? '' : result.message).toMatch(message);
    });
  }
});

describe('isFetchAllowed', () => {
  it('allows an exact host on any port', () => {
    expect(isFetchAllowed(['http:fetch:api.example.com'], 'https://api.example.com:9000/x')).toBe(true);
  });

  it('rejects another host', () => {
    expect(isFetchAllowed(['http:fetch:api.example.com'], 'https://example.com/')).toBe(false);
  });

  it('allows subdomains of a wildcard', () => {
    expect(isFetchAllowed(['http:fetch:*.example.com'], 'https://a.b.example.com/')).toBe(true);
  });

  it('rejects the wildcard base domain', () => {
    expect(isFetchAllowed(['http:fetch:*.example.com'], 'https://example.com/')).toBe(false);
  });

  it('rejects a look-alike domain for a wildcard', () => {
    expect(isFetchAllowed(['http:fetch:*.example.com'], 'https://evilexample.com/')).toBe(false);
  });

  it('compares the default port of the scheme', () => {
    expect(isFetchAllowed(['http:fetch:api.example.com:443'], 'https://api.example.com/')).toBe(true);
    expect(isFetchAllowed(['http:fetch:api.example.com:443'], 'http://api.example.com/')).toBe(false);
  });

  it('allows every host with *', () => {
    expect(isFetchAllowed(['http:fetch:*'], 'http://127.0.0.1:8080/')).toBe(true);
  });

  it('rejects non-HTTP schemes and invalid URLs', () => {
    expect(isFetchAllowed(['http:fetch:*'], 'file:///etc/passwd')).toBe(false);
    expect(isFetchAllowed(['http:fetch:*'], 'not a url')).toBe(false);
  });

  it('ignores named permissions', () => {
    expect(isFetchAllowed(['kv:read'], 'https://api.example.com/')).toBe(false);
  });
});
