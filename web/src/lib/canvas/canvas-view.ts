import { getContext, setContext } from 'svelte';
import type { NodeRunState } from './run-state';
import type { NodeContribution } from './types';

/**
 * State that canvas nodes show beside their own data: run status, dirty and
 * oversized flags, pins and validation problems. The editor owns it as
 * reactive state and nodes read it through context, so a run event updates
 * one badge without replacing the node list (which the history records).
 */
export interface CanvasView {
  /** Node types by `type@typeVersion`. */
  contributions: Map<string, NodeContribution>;
  runStates: Record<string, NodeRunState>;
  dirty: Set<string>;
  oversized: Set<string>;
  pinned: Set<string>;
  /** Validation problems by node id. */
  problems: Map<string, string[]>;
}

const KEY = Symbol('mify-canvas-view');

export function setCanvasView(view: CanvasView): void {
  setContext(KEY, view);
}

export function getCanvasView(): CanvasView {
  const view = getContext<CanvasView | undefined>(KEY);
  if (!view) throw new Error('Canvas nodes must be rendered inside the graph editor, which provides the canvas view.');
  return view;
}
