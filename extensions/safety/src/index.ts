import { defineExtension } from '@mify/sdk';
import { INJECTION_RULES } from './heuristics/injection-rules.js';
import { JAILBREAK_RULES } from './heuristics/jailbreak-rules.js';
import { createDetectorNode } from './heuristics/node.js';
import { piiNode } from './pii/node.js';

export default defineExtension({
  nodes: {
    'mify.safety.pii-detector': piiNode,
    'mify.safety.prompt-injection-detector': createDetectorNode(INJECTION_RULES, 'injection'),
    'mify.safety.jailbreak-detector': createDetectorNode(JAILBREAK_RULES, 'jailbreak'),
  },
});
