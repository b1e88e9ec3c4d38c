/** RFC 9457 problem+json responses in the kernel's format, so errors read the same on every route. */
import type { EndpointProblem, RouteResponse } from '@mify/sdk';

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Builds a problem+json response; 429 problems carry a retry-after header. */
export function problemResponse(problem: EndpointProblem, instance: string): RouteResponse {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (problem.retryAfterSeconds !== undefined) headers['retry-after'] = String(problem.retryAfterSeconds);
  const body: Record<string, unknown> = { type: `urn:mify:problem:${problem.code}`, title: problem.title, status: problem.status, code: problem.code, detail: problem.detail, instance };
  if (problem.errors) body.errors = problem.errors;
  if (problem.runId) body.runId = problem.runId;
  if (problem.retryAfterSeconds !== undefined) body.retryAfterSeconds = problem.retryAfterSeconds;
  return { status: problem.status, headers, body: body as RouteResponse['body'] };
}

/** The problem for a slug that no published graph visible to the caller has. */
export function notFound(slug: string): EndpointProblem {
  return {
    status: 404,
    code: 'endpoint_not_found',
    title: 'Not Found',
    detail: `No published graph visible to you has the slug '${slug}'. Check the slug, publish the graph, or send an API key of its workspace.`,
  };
}
