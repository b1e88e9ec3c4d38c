/** An error the registry reports as problem+json with a stable `code`. */
export class RegistryError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
};

/** Renders an RFC 9457 problem+json response whose `type` derives from the code. */
export function problemResponse(error: RegistryError, instance: string): Response {
  const body = {
    type: `https://mify.dev/problems/${error.code.replace(/_/g, '-')}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.message,
    instance,
    ...error.details,
  };
  return new Response(JSON.stringify(body), { status: error.status, headers: { 'content-type': 'application/problem+json' } });
}
