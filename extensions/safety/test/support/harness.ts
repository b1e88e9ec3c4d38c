import { fileURLToPath } from 'node:url';
import { createTestHarness, type TestHarness } from '@mify/sdk/testing';

/** The extension folder, holding mify.extension.json and the built dist/index.js. */
export const EXTENSION_FOLDER = fileURLToPath(new URL('../..', import.meta.url));

export const PII_NODE = 'mify.safety.pii-detector';
export const INJECTION_NODE = 'mify.safety.prompt-injection-detector';
export const JAILBREAK_NODE = 'mify.safety.jailbreak-detector';

/** Loads the built extension into the production isolate sandbox. Build it first with `pnpm run build`. */
export function loadSafetyExtension(): Promise<TestHarness> {
  return createTestHarness({ folder: EXTENSION_FOLDER });
}
