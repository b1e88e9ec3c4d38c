import semver from 'semver';

import type { ExtensionManifest } from './manifest.js';

/** Result of {@link checkEngine}. */
export type EngineCheckResult = { ok: true } | { ok: false; message: string };

/**
 * Checks that a kernel version satisfies a manifest's `engines.mify` range. Pre-release
 * kernels (`1.2.0-beta.1`) count as their release for this check, so `^1.0.0` accepts them.
 *
 * @example
 * checkEngine({ id: 'acme.crm-sync', version: '2.0.0', engines: { mify: '^2.0.0' } }, '1.4.0');
 * // { ok: false, message: 'Extension acme.crm-sync 2.0.0 requires MIFY ^2.0.0 (engines.mify), but this kernel is 1.4.0, which is older. ...' }
 */
export function checkEngine(manifest: Pick<ExtensionManifest, 'id' | 'version' | 'engines'>, kernelVersion: string): EngineCheckResult {
  const range = manifest.engines.mify;
  const subject = `Extension ${manifest.id} ${manifest.version}`;

  if (semver.valid(kernelVersion) === null) {
    return { ok: false, message: `The kernel version ${JSON.stringify(kernelVersion)} is not a semver version such as 1.0.0, so ${subject} cannot be checked against ${range}.` };
  }
  if (semver.validRange(range) === null) {
    return { ok: false, message: `${subject} declares engines.mify ${JSON.stringify(range)}, which is not a semver range such as ^1.0.0. Fix the manifest.` };
  }

  const options = { includePrerelease: true };
  if (semver.satisfies(kernelVersion, range, options)) return { ok: true };

  const requirement = `${subject} requires MIFY ${range} (engines.mify), but this kernel is ${kernelVersion}`;
  if (semver.gtr(kernelVersion, range, options)) {
    return { ok: false, message: `${requirement}, which is newer. Install a version of the extension built for MIFY ${kernelVersion}.` };
  }
  if (semver.ltr(kernelVersion, range, options)) {
    return { ok: false, message: `${requirement}, which is older. Upgrade the kernel to a version in ${range}, or install an older version of the extension.` };
  }
  return { ok: false, message: `${requirement}, which is outside that range. Install a version of the extension built for MIFY ${kernelVersion}.` };
}
