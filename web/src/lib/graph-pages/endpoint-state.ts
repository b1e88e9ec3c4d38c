import type { Problem, WorkflowEndpointInfo } from '$lib/api';

/**
 * Content of the endpoint info panel: the info, a graph without a slug, a slug
 * the kernel has no endpoint for (404: not published, or no endpoint yet), or
 * another failure.
 */
export type EndpointState = { kind: 'ready'; info: WorkflowEndpointInfo } | { kind: 'no-slug' } | { kind: 'not-found'; problem: Problem } | { kind: 'error'; problem: Problem };
