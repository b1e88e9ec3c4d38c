/**
 * `mify.agents.swarm`: peer agents that hand the conversation to each other. Each peer is a
 * ReAct loop with its own tools plus one handoff tool per peer it may hand off to
 * (`transfer_to_<peer>`). Peers talk over a message bus kept in the run: every request,
 * handoff and answer is a bus message in the trace and in the output. The swarm stops when
 * a peer answers without a handoff, or at `maxHandoffs`.
 */
import type { ChatMessage, ChatTool, JsonObject, NodeContext } from '@mify/sdk';
import { invalidParameter } from '../shared/errors.js';
import { type StrategyInput, type StrategyResult } from '../shared/node.js';
import { checkName, integerParameter, objectListParameter, stringParameter } from '../shared/parameters.js';
import { runReact } from '../shared/react.js';
import { clip } from '../shared/trace.js';
import { buildTools, type AgentTool } from '../tools/index.js';
import { DEFAULT_MAX_STEPS, MAX_STEPS } from './react.js';

const HANDOFF_PREFIX = 'transfer_to_';

interface Peer {
  name: string;
  description: string;
  system: string;
  tools: AgentTool[];
  /** Names of the peers this one may hand off to. */
  handoffs: string[];
}

interface BusMessage extends JsonObject {
  from: string;
  to: string;
  kind: 'request' | 'handoff' | 'answer';
  content: string;
}

async function readPeers(ctx: NodeContext, input: StrategyInput): Promise<Peer[]> {
  const declarations = objectListParameter(input.parameters, 'agents');
  if (declarations.length < 2) throw invalidParameter("Parameter 'agents' must list at least two peers as { name, description, system, tools, handoffs }.");
  const names = declarations.map((declaration, index) => checkName(declaration.name, `agents[${index}].name`));
  if (new Set(names).size !== names.length) throw invalidParameter("Parameter 'agents' lists a name twice; give each peer its own name.");

  const peers: Peer[] = [];
  for (const [index, declaration] of declarations.entries()) {
    const name = names[index]!;
    if (HANDOFF_PREFIX.length + name.length > 64) throw invalidParameter(`agents[${index}].name '${name}' is too long for its handoff tool name; use at most ${64 - HANDOFF_PREFIX.length} characters.`);
    const handoffs = declaration.handoffs === undefined ? names.filter((other) => other !== name) : declaration.handoffs;
    if (!Array.isArray(handoffs) || handoffs.some((peer) => typeof peer !== 'string' || !names.includes(peer) || peer === name)) {
      throw invalidParameter(`agents[${index}].handoffs must list names of other peers (${names.filter((other) => other !== name).join(', ')}), got ${JSON.stringify(declaration.handoffs)}.`);
    }
    peers.push({
      name,
      description: typeof declaration.description === 'string' ? declaration.description : '',
      system: typeof declaration.system === 'string' ? declaration.system : `You are ${name}, one agent of a team.`,
      tools: await buildTools(ctx, objectListParameter(declaration, 'tools'), `agents[${index}].tools`, input.mcpClients),
      handoffs: handoffs as string[],
    });
  }
  return peers;
}

function handoffTools(peer: Peer, peers: Peer[]): ChatTool[] {
  return peer.handoffs.map((name) => ({
    name: `${HANDOFF_PREFIX}${name}`,
    description: `Hand the conversation to ${name}${peers.find((candidate) => candidate.name === name)?.description ? `: ${peers.find((candidate) => candidate.name === name)!.description}` : ''}. Use it when ${name} is better placed to continue.`,
    parameters: { type: 'object', properties: { message: { type: 'string', description: `What ${name} needs to know to continue` } }, required: ['message'] },
  }));
}

/** Builds the conversation of a peer: its system prompt, the memory, then every bus message as a user message. */
function peerMessages(peer: Peer, history: ChatMessage[], bus: BusMessage[]): ChatMessage[] {
  const system = `${peer.system}\n\nYou are ${peer.name} in a team of agents. Answer the user yourself when you can; otherwise hand off with a transfer tool.`;
  return [
    { role: 'system', content: system },
    ...history,
    ...bus.map((message): ChatMessage => ({ role: 'user', content: message.kind === 'request' ? message.content : `[${message.from} to ${message.to}] ${message.content}` })),
  ];
}

export async function swarmStrategy(ctx: NodeContext, input: StrategyInput): Promise<StrategyResult> {
  const { session, parameters } = input;
  const peers = await readPeers(ctx, input);
  const maxHandoffs = integerParameter(parameters, 'maxHandoffs', 5, { min: 0, max: 50 });
  const maxSteps = integerParameter(parameters, 'maxSteps', DEFAULT_MAX_STEPS, { min: 1, max: MAX_STEPS });
  const entry = stringParameter(parameters, 'entryAgent', peers[0]!.name)!;
  let active = peers.find((peer) => peer.name === entry);
  if (!active) throw invalidParameter(`Parameter 'entryAgent' is '${entry}', which is not a peer; use one of ${peers.map((peer) => peer.name).join(', ')}.`);

  const bus: BusMessage[] = [];
  const post = async (message: BusMessage) => {
    bus.push(message);
    session.tracer.add({ type: 'message', agent: message.from, to: message.to, kind: message.kind, content: clip(message.content) });
    await session.tracer.flush();
  };
  await post({ from: 'user', to: active.name, kind: 'request', content: input.prompt });

  let handoffs = 0;
  for (;;) {
    const turn = await runReact(session, {
      agent: active.name,
      messages: peerMessages(active, input.history, bus),
      tools: active.tools,
      maxSteps,
      maxObservationChars: input.maxObservationChars,
      handoffs: handoffTools(active, peers),
    });

    if (!turn.handoff) {
      await post({ from: active.name, to: 'user', kind: 'answer', content: turn.answer });
      return { answer: turn.answer, details: { finalAgent: active.name, handoffs, bus } };
    }

    const target = turn.handoff.tool.slice(HANDOFF_PREFIX.length);
    const message = typeof turn.handoff.arguments.message === 'string' ? turn.handoff.arguments.message : '';
    if (handoffs >= maxHandoffs) {
      return session.raise('max_handoffs', active.name, `The swarm reached its limit of ${maxHandoffs} handoffs when ${active.name} tried to hand off to ${target}. Raise maxHandoffs, or set onLimit to partial to return the answer so far.`);
    }
    handoffs += 1;
    if (message !== '') session.bestAnswer = message;
    await post({ from: active.name, to: target, kind: 'handoff', content: message || turn.answer });
    active = peers.find((peer) => peer.name === target)!;
  }
}
