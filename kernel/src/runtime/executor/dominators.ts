/**
 * Immediate dominators of a directed graph whose entry is a virtual root joined to `roots`:
 * node `a` dominates node `b` when every path from the entry to `b` passes `a`. Uses the
 * iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast Dominance Algorithm",
 * 2001) over reverse postorder.
 */
export class Dominators {
  /** Immediate dominator of each node by index; -1 for the virtual root's children, -2 for unreachable nodes. */
  private readonly idom: Int32Array;

  constructor(nodeCount: number, successors: readonly number[][], roots: readonly number[]) {
    const ROOT = nodeCount;
    const successorsOf = (node: number) => (node === ROOT ? roots : successors[node]!);

    const postorder: number[] = [];
    const visited = new Uint8Array(nodeCount + 1);
    const stack: Array<{ node: number; next: number }> = [{ node: ROOT, next: 0 }];
    visited[ROOT] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const next = successorsOf(frame.node);
      if (frame.next < next.length) {
        const target = next[frame.next++]!;
        if (!visited[target]) {
          visited[target] = 1;
          stack.push({ node: target, next: 0 });
        }
        continue;
      }
      postorder.push(frame.node);
      stack.pop();
    }

    const rank = new Int32Array(nodeCount + 1).fill(-1);
    postorder.forEach((node, index) => {
      rank[node] = index;
    });
    const predecessors: number[][] = Array.from({ length: nodeCount + 1 }, () => []);
    for (let node = 0; node <= nodeCount; node++) {
      if (!visited[node]) continue;
      for (const target of successorsOf(node)) predecessors[target]!.push(node);
    }

    const dominator = new Int32Array(nodeCount + 1).fill(-1);
    dominator[ROOT] = ROOT;
    const intersect = (first: number, second: number) => {
      let a = first;
      let b = second;
      while (a !== b) {
        while (rank[a]! < rank[b]!) a = dominator[a]!;
        while (rank[b]! < rank[a]!) b = dominator[b]!;
      }
      return a;
    };

    for (let changed = true; changed; ) {
      changed = false;
      for (let index = postorder.length - 2; index >= 0; index--) {
        const node = postorder[index]!;
        let candidate = -1;
        for (const predecessor of predecessors[node]!) {
          if (dominator[predecessor] === -1) continue;
          candidate = candidate === -1 ? predecessor : intersect(predecessor, candidate);
        }
        if (candidate !== -1 && dominator[node] !== candidate) {
          dominator[node] = candidate;
          changed = true;
        }
      }
    }

    this.idom = new Int32Array(nodeCount);
    for (let node = 0; node < nodeCount; node++) {
      if (!visited[node]) this.idom[node] = -2;
      else if (dominator[node] === ROOT) this.idom[node] = -1;
      else this.idom[node] = dominator[node]!;
    }
  }

  /** Returns true when the entry reaches `node`. */
  reachable(node: number): boolean {
    return this.idom[node] !== -2;
  }

  /** Returns the nodes other than `node` that every path from the entry to `node` passes, nearest first. */
  strictDominators(node: number): number[] {
    const result: number[] = [];
    if (!this.reachable(node)) return result;
    for (let current = this.idom[node]!; current >= 0; current = this.idom[current]!) result.push(current);
    return result;
  }
}
