import type { Item } from '../../graphs/model.js';
import type { PortItems } from '../types.js';
import { MinHeap } from './min-heap.js';
import type { ExecutionPlan, PlannedEdge, PlannedNode } from './plan.js';

/**
 * State of a node in its current activation:
 * - `waiting`: some connected input has not settled yet;
 * - `ready`: queued to run;
 * - `running`: handed out by `next()` and not completed yet;
 * - `looping`: a loop node between two activations, waiting for its body to finish;
 * - `done` / `skipped`: finished (a loop node only after its last activation).
 */
type Phase = 'waiting' | 'ready' | 'running' | 'looping' | 'done' | 'skipped';

interface NodeState {
  phase: Phase;
  /** Items that settled on each forward edge in this activation; an edge without an entry has not settled. */
  inbox: Map<PlannedEdge, Item[]>;
  /** Loop nodes: items that arrived on back edges for the next iteration. */
  backInbox: Map<PlannedEdge, Item[]>;
  /** Merge nodes in `first` mode: the input that fired them. */
  firstInput: PortItems | null;
  /** Activations in the run so far, skipped ones included. */
  activations: number;
  /** Loop nodes: activations since the loop was entered. */
  iteration: number;
  loopState: unknown;
  /** Loop nodes: items gathered on exit ports over all iterations, delivered when the loop ends. */
  exitItems: PortItems;
  /** Loop nodes: body nodes not finished in the current iteration. */
  openBody: number;
  /** Output of the latest activation that ran; null when it was skipped. */
  lastOutput: PortItems | null;
  /** The loop around the node has ended, so its next activation is skipped whatever its inputs. */
  loopEnded: boolean;
}

/** One activation the scheduler hands out. */
export interface Activation {
  planned: PlannedNode;
  /** 1-based count of this node's activations in the run; part of the step's idempotency key. */
  activation: number;
  /** Items per input port, every declared input port present. */
  ports: PortItems;
  /** Loop nodes only. `iteration` starts at 1 when the loop is entered. */
  loop: { state: unknown; iteration: number } | null;
  /** True for a loop node's activation through its back edges. */
  reentry: boolean;
  /** The node is in the body of a loop that has ended (or was skipped), so it must be skipped. */
  skip: boolean;
}

const FINISHED: ReadonlySet<Phase> = new Set(['done', 'skipped']);

/**
 * Decides which node runs next. A node becomes ready when every connected input has settled,
 * meaning its source finished, with or without items for it. Ready nodes run one at a time in
 * topological order. Given the same graph and the same step outputs, the order is always the
 * same, which a journal that replays recorded steps relies on.
 *
 * Loops: a loop node's edges into its body settle at every activation, and edges to nodes
 * outside the body gather items and settle once, when an activation sends nothing into the
 * body. The loop node activates again once its whole body has finished the iteration. Each
 * activation that feeds the body resets it so that it runs again. When the loop ends, or is
 * skipped, its body is skipped once more even if it has inputs from outside the loop.
 */
export class RunScheduler {
  private readonly states = new Map<PlannedNode, NodeState>();
  private readonly bodySets = new Map<PlannedNode, Set<PlannedNode>>();
  private readonly queue = new MinHeap<PlannedNode>((planned) => planned.order);

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly runInput: Item[],
  ) {
    for (const planned of plan.nodes) {
      this.states.set(planned, {
        phase: 'waiting',
        inbox: new Map(),
        backInbox: new Map(),
        firstInput: null,
        activations: 0,
        iteration: 0,
        loopState: undefined,
        exitItems: {},
        openBody: planned.loopBody.length,
        lastOutput: null,
        loopEnded: false,
      });
      if (planned.loopBody.length > 0) this.bodySets.set(planned, new Set(planned.loopBody));
    }
    for (const planned of plan.nodes) if (planned.incoming.length === 0) this.enqueue(planned);
  }

  /** Takes the next ready node and starts its activation, or returns undefined when none is ready. */
  next(): Activation | undefined {
    for (let planned = this.queue.pop(); planned !== undefined; planned = this.queue.pop()) {
      const state = this.state(planned);
      if (state.phase !== 'ready') continue;
      return this.begin(planned, state);
    }
    return undefined;
  }

  /**
   * Finishes the current activation of `planned`: `ports` null marks it skipped. `loopState`
   * is kept for a loop node's next activation.
   */
  complete(planned: PlannedNode, ports: PortItems | null, loopState?: unknown): void {
    const state = this.state(planned);
    // A body node skipped because its loop ended keeps the output of the loop's last iteration for `$node`.
    if (ports !== null || !state.loopEnded) state.lastOutput = ports;

    if (planned.control === 'loop' && ports !== null) {
      state.loopState = loopState;
      this.completeLoopActivation(planned, state, ports);
      return;
    }
    if (planned.control === 'loop') for (const member of planned.loopBody) this.reset(member, planned, true);

    for (const edge of planned.outgoing) this.settle(edge, ports?.[edge.fromPort] ?? []);
    this.setPhase(planned, state, ports === null ? 'skipped' : 'done');
  }

  /** Output of the latest activation of a node, or null when it was skipped or has not run. */
  lastOutput(planned: PlannedNode): PortItems | null {
    return this.state(planned).lastOutput;
  }

  /** Nodes that have not finished, for the message of a run that stalls. */
  unfinished(): PlannedNode[] {
    return this.plan.nodes.filter((planned) => !FINISHED.has(this.state(planned).phase));
  }

  private begin(planned: PlannedNode, state: NodeState): Activation {
    const reentry = planned.control === 'loop' && state.iteration > 0;
    state.activations += 1;
    state.phase = 'running';

    let loop: Activation['loop'] = null;
    if (planned.control === 'loop') {
      state.iteration += 1;
      loop = { state: reentry ? state.loopState : undefined, iteration: state.iteration };
    }
    if (state.loopEnded) return { planned, activation: state.activations, ports: this.collect([], state.inbox, planned), loop, reentry, skip: true };

    const ports = reentry ? this.collect(planned.backIncoming, state.backInbox, planned) : state.firstInput ?? this.collect(planned.incoming, state.inbox, planned);
    if (reentry) state.backInbox.clear();
    if (planned.isStart && !reentry) {
      const first = planned.inputs[0] ?? 'main';
      ports[first] = ports[first]!.length === 0 ? this.runInput : this.runInput.concat(ports[first]!);
    }
    return { planned, activation: state.activations, ports, loop, reentry, skip: false };
  }

  /** Items per input port, concatenated in edge order. A port fed by one edge shares that edge's array. */
  private collect(edges: PlannedEdge[], settled: Map<PlannedEdge, Item[]>, planned: PlannedNode): PortItems {
    const ports: PortItems = {};
    for (const port of planned.inputs) ports[port] = [];
    if (planned.isStart && ports[planned.inputs[0] ?? 'main'] === undefined) ports[planned.inputs[0] ?? 'main'] = [];

    for (const edge of edges) {
      const items = settled.get(edge);
      if (items === undefined || items.length === 0) continue;
      const current = ports[edge.toPort]!;
      ports[edge.toPort] = current.length === 0 ? items : current.concat(items);
    }
    return ports;
  }

  private completeLoopActivation(loop: PlannedNode, state: NodeState, ports: PortItems): void {
    const body = this.bodySets.get(loop);
    let feedsBody = false;
    for (const edge of loop.outgoing) {
      const intoBody = edge.back || (body !== undefined && body.has(edge.to));
      if (intoBody && (ports[edge.fromPort]?.length ?? 0) > 0) feedsBody = true;
    }

    for (const port of loop.outputs) {
      const items = ports[port];
      if (items === undefined || items.length === 0) continue;
      const gathered = state.exitItems[port];
      state.exitItems[port] = gathered === undefined ? items : gathered.concat(items);
    }

    if (!feedsBody) {
      // Last activation: the body is skipped once more, and exit edges carry what every iteration emitted.
      for (const member of loop.loopBody) this.reset(member, loop, true);
      for (const edge of loop.outgoing) {
        const intoBody = edge.back || (body !== undefined && body.has(edge.to));
        this.settle(edge, intoBody ? [] : state.exitItems[edge.fromPort] ?? []);
      }
      state.lastOutput = state.exitItems;
      this.setPhase(loop, state, 'done');
      return;
    }

    for (const member of loop.loopBody) this.reset(member, loop, false);
    for (const edge of loop.outgoing) {
      const intoBody = edge.back || (body !== undefined && body.has(edge.to));
      if (intoBody) this.settle(edge, ports[edge.fromPort] ?? []);
    }
    this.setPhase(loop, state, 'looping');
    if (state.openBody === 0) this.enqueue(loop);
  }

  private settle(edge: PlannedEdge, items: Item[]): void {
    const target = edge.to;
    const state = this.state(target);

    if (edge.back) {
      // Items for a loop node that has finished (or not started) its iterations are dropped.
      if (state.phase === 'looping') state.backInbox.set(edge, items);
      return;
    }
    if (state.phase !== 'waiting') return;

    state.inbox.set(edge, items);
    if (target.mergeFirst && items.length > 0) {
      const ports: PortItems = {};
      for (const port of target.inputs) ports[port] = [];
      ports[edge.toPort] = items;
      state.firstInput = ports;
      this.enqueue(target);
      return;
    }
    for (const incoming of target.incoming) if (!state.inbox.has(incoming)) return;
    this.enqueue(target);
  }

  /**
   * Prepares a body node of `loop` for its next activation: clears the inputs from inside the
   * loop and keeps those from outside it. `loopEnded` makes that activation a skip.
   */
  private reset(member: PlannedNode, loop: PlannedNode, loopEnded: boolean): void {
    const state = this.state(member);
    state.loopEnded = loopEnded;
    const body = this.bodySets.get(loop)!;
    for (const edge of [...state.inbox.keys()]) if (edge.from === loop || body.has(edge.from)) state.inbox.delete(edge);
    state.backInbox.clear();
    state.firstInput = null;
    if (member.control === 'loop') {
      state.iteration = 0;
      state.loopState = undefined;
      state.exitItems = {};
    }
    this.setPhase(member, state, 'waiting');
  }

  private enqueue(planned: PlannedNode): void {
    const state = this.state(planned);
    this.setPhase(planned, state, 'ready');
    this.queue.push(planned);
  }

  /** Changes a node's phase and keeps the open-body counts of its enclosing loops current. */
  private setPhase(planned: PlannedNode, state: NodeState, phase: Phase): void {
    const wasFinished = FINISHED.has(state.phase);
    state.phase = phase;
    const isFinished = FINISHED.has(phase);
    if (wasFinished === isFinished) return;

    for (const loop of planned.enclosingLoops) {
      const loopState = this.state(loop);
      loopState.openBody += isFinished ? -1 : 1;
      if (isFinished && loopState.openBody === 0 && loopState.phase === 'looping') this.enqueue(loop);
    }
  }

  private state(planned: PlannedNode): NodeState {
    return this.states.get(planned)!;
  }
}
