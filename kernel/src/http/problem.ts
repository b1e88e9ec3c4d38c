import { MifyError } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details. `type` is a stable URN built from the error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function problemType(code: string): string {
  return `urn:mify:problem:${code}`;
}

export function problemFromError(error: MifyError, instance?: string): Problem {
  return {
    ...(error.details ?? {}),
    type: problemType(error.code),
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
  };
}

/** Builds a problem+json response. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), { status: problem.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers } });
}

export function errorResponse(error: MifyError, instance?: string, headers: Record<string, string> = {}): Response {
  return problemResponse(problemFromError(error, instance), headers);
}
