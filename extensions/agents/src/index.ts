/**
 * Entry of `mify.agents`: a ReAct agent with tools and memory, and the multi-agent
 * strategies plan-and-execute, reflection, supervisor and swarm. Each node lives in its own
 * module under nodes/, keyed here by the type its manifest entry declares.
 */
import { defineExtension } from '@mify/sdk';
import { planExecuteStrategy } from './nodes/plan-execute.js';
import { reactStrategy } from './nodes/react.js';
import { reflectionStrategy } from './nodes/reflection.js';
import { supervisorStrategy } from './nodes/supervisor.js';
import { swarmStrategy } from './nodes/swarm.js';
import { agentNode } from './shared/node.js';

export default defineExtension({
  nodes: {
    'mify.agents.react': agentNode('react', reactStrategy),
    'mify.agents.plan-execute': agentNode('plan-execute', planExecuteStrategy),
    'mify.agents.reflection': agentNode('reflection', reflectionStrategy),
    'mify.agents.supervisor': agentNode('supervisor', supervisorStrategy),
    'mify.agents.swarm': agentNode('swarm', swarmStrategy),
  },
});
