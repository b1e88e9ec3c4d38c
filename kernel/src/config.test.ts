import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({});

    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.bodyLimitBytes).toBe(1_048_576);
  });

  it('names every invalid variable and its expected form', () => {
    let error: unknown;
    try {
      loadConfig({ MIFY_PORT: 'eighty', DATABASE_URL: 'mysql://x', MIFY_LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('MIFY_PORT="eighty" is invalid: expected a whole number');
    expect(message).toContain('DATABASE_URL=(hidden) is invalid: expected a PostgreSQL URL');
    expect(message).toContain('MIFY_LOG_LEVEL="loud" is invalid');
  });

  it('reads where the embedded database runs', () => {
    expect(loadConfig({}).pgliteThread).toBe('worker');
    expect(loadConfig({ MIFY_PGLITE_THREAD: 'main' }).pgliteThread).toBe('main');
    expect(() => loadConfig({ MIFY_PGLITE_THREAD: 'both' })).toThrow(/MIFY_PGLITE_THREAD="both" is invalid/);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ MIFY_PORT: '70000' })).toThrow(/MIFY_PORT="70000" is invalid/);
  });

  it('hides a secret key that is malformed', () => {
    expect(() => loadConfig({ MIFY_SECRET_KEY: 'short-secret' })).toThrow(/MIFY_SECRET_KEY=\(hidden\) is invalid: expected 32 bytes/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ MIFY_PORT: '' }).port).toBe(3000);
  });

  it('splits CORS origins', () => {
    expect(loadConfig({ MIFY_CORS_ORIGINS: 'http://a.test, http://b.test' }).corsOrigins).toEqual(['http://a.test', 'http://b.test']);
  });
});
