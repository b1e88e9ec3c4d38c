/**
 * Finds cycles that do not pass through a loop node. Removing the loop nodes
 * breaks every cycle through one of them, so each strongly connected
 * component of what remains (with more than one node, or a node with an edge
 * to itself) contains at least one cycle that avoids every loop node.
 *
 * @returns one cycle per such component, as node ids in edge order, the first
 * id repeated at the end.
 */
export function findCyclesWithoutLoopNode(nodeIds: readonly string[], edges: ReadonlyArray<{ from: string; to: string }>, isLoopNode: (id: string) => boolean): string[][] {
  const plainNodes = nodeIds.filter((id) => !isLoopNode(id));
  const plainNodeSet = new Set(plainNodes);
  const successors = new Map<string, string[]>(plainNodes.map((id) => [id, []]));
  for (const edge of edges) {
    if (plainNodeSet.has(edge.from) && plainNodeSet.has(edge.to)) successors.get(edge.from)!.push(edge.to);
  }

  const cycles: string[][] = [];
  for (const component of stronglyConnectedComponents(plainNodes, successors)) {
    const members = new Set(component);
    const start = component[0]!;
    const selfLoop = successors.get(start)!.includes(start);
    if (component.length === 1 && !selfLoop) continue;
    cycles.push(selfLoop ? [start, start] : cycleWithin(start, members, successors));
  }
  return cycles;
}

/** Tarjan's algorithm, iterative so that a long chain of nodes cannot overflow the stack. */
function stronglyConnectedComponents(nodes: readonly string[], successors: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    lowLink.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);

    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = successors.get(frame.node)!;

      if (frame.next < targets.length) {
        const target = targets[frame.next]!;
        frame.next += 1;
        if (!index.has(target)) {
          index.set(target, counter);
          lowLink.set(target, counter);
          counter += 1;
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(target)!));
        }
        continue;
      }

      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.node, Math.min(lowLink.get(parent.node)!, lowLink.get(frame.node)!));
      if (lowLink.get(frame.node) !== index.get(frame.node)) continue;

      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      components.push(component.reverse());
    }
  }
  return components;
}

/**
 * Returns a shortest cycle through `start` inside one strongly connected
 * component, found by breadth-first search back to `start`.
 */
function cycleWithin(start: string, members: Set<string>, successors: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];

  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head]!;
    for (const target of successors.get(node)!) {
      if (!members.has(target)) continue;
      if (target === start) return [...pathTo(node, previous, start), start];
      if (previous.has(target)) continue;
      previous.set(target, node);
      queue.push(target);
    }
  }
  // Unreachable: every member of a component reaches every other member.
  return [start, start];
}

function pathTo(node: string, previous: Map<string, string>, start: string): string[] {
  const path = [node];
  let current = node;
  while (current !== start) {
    current = previous.get(current)!;
    path.push(current);
  }
  return path.reverse();
}
