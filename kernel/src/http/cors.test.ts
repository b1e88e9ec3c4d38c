import { describe, expect, it } from 'vitest';
import { createCorsPolicy } from './cors.js';

function headersFor(origins: string[], origin: string | undefined, preflight = false): Record<string, string> {
  const policy = createCorsPolicy(origins)!;
  const headers: Record<string, string> = {};
  if (preflight) policy.addPreflightHeaders(origin, headers);
  else policy.addHeaders(origin, headers);
  return headers;
}

describe('createCorsPolicy', () => {
  it('is off for an empty list', () => {
    expect(createCorsPolicy([])).toBeNull();
  });

  it('allows a listed origin with credentials', () => {
    const headers = headersFor(['http://studio.test'], 'http://studio.test');

    expect(headers['access-control-allow-origin']).toBe('http://studio.test');
    expect(headers['access-control-allow-credentials']).toBe('true');
    expect(headers['access-control-expose-headers']).toContain('x-request-id');
    expect(headers.vary).toBe('Origin');
  });

  it('gives another origin only Vary', () => {
    expect(headersFor(['http://studio.test'], 'http://evil.test')).toEqual({ vary: 'Origin' });
    expect(headersFor(['http://studio.test'], undefined)).toEqual({ vary: 'Origin' });
  });

  it('allows any origin for * without credentials', () => {
    const headers = headersFor(['*'], 'http://anywhere.test');

    expect(headers['access-control-allow-origin']).toBe('*');
    expect(headers['access-control-allow-credentials']).toBeUndefined();
    expect(headers.vary).toBeUndefined();
  });

  it('answers a preflight with methods, headers and max age', () => {
    const headers = headersFor(['http://studio.test'], 'http://studio.test', true);

    expect(headers['access-control-allow-methods']).toBe('GET,HEAD,PUT,POST,DELETE,PATCH');
    expect(headers['access-control-allow-headers']).toContain('authorization');
    expect(headers['access-control-max-age']).toBe('600');
    expect(headers.vary).toBe('Origin, Access-Control-Request-Headers');
  });

  it('answers a preflight from another origin without allowing it', () => {
    const headers = headersFor(['http://studio.test'], 'http://evil.test', true);

    expect(headers['access-control-allow-origin']).toBeUndefined();
    expect(headers['access-control-allow-methods']).toBeUndefined();
  });

  it('does not share header objects between requests', () => {
    const policy = createCorsPolicy(['http://studio.test'])!;
    const first: Record<string, string> = {};
    const second: Record<string, string> = {};
    policy.addHeaders('http://studio.test', first);
    first['access-control-allow-origin'] = 'changed';
    policy.addHeaders('http://studio.test', second);

    expect(second['access-control-allow-origin']).toBe('http://studio.test');
  });
});
