import { describe, expect, it } from 'vitest';

import { checkEngine } from './engine.js';

const manifest = { id: 'acme.crm-sync', version: '2.0.0', engines: { mify: '^1.2.0' } };

describe('checkEngine', () => {
  it('accepts a kernel inside the range', () => {
    expect(checkEngine(manifest, '1.4.0')).toEqual({ ok: true });
  });

  it('accepts a pre-release kernel inside the range', () => {
    expect(checkEngine(manifest, '1.5.0-beta.1')).toEqual({ ok: true });
  });

  it('explains a kernel older than the range', () => {
    const result = checkEngine(manifest, '1.0.0');
    expect(result).toEqual({
      ok: false,
      message: 'Extension acme.crm-sync 2.0.0 requires MIFY ^1.2.0 (engines.mify), but this kernel is 1.0.0, which is older. Upgrade the kernel to a version in ^1.2.0, or install an older version of the extension.',
    });
  });

  it('explains a kernel newer than the range', () => {
    const result = checkEngine(manifest, '2.0.0');
    expect(result.ok ? '' : result.message).toMatch(/but this kernel is 2\.0\.0, which is newer\. Install a version of the extension built for MIFY 2\.0\.0\.$/);
  });

  it('explains a kernel in a gap of the range', () => {
    const result = checkEngine({ ...manifest, engines: { mify: '1.0.x || 1.2.x' } }, '1.1.0');
    expect(result.ok ? '' : result.message).toMatch(/which is outside that range/);
  });

  it('rejects an invalid kernel version', () => {
    const result = checkEngine(manifest, 'dev');
    expect(result.ok ? '' : result.message).toMatch(/kernel version "dev" is not a semver version/);
  });

  it('rejects an invalid range', () => {
    const result = checkEngine({ ...manifest, engines: { mify: 'soon' } }, '1.0.0');
    expect(result.ok ? '' : result.message).toMatch(/engines\.mify "soon", which is not a semver range/);
  });
});
