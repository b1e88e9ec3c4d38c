export { createExtensionTestHarness, type ExtensionTestHarness, type ExtensionTestHarnessOptions } from './extension-harness.js';
export { packExtension, unpackAndVerify, keyFingerprint } from '../extensions/package.js';
