import { MifyError } from '../errors.js';
import type { ContributionRegistry } from '../extensions/contributions.js';
import type { ExtensionHost, InvocationContext } from '../extensions/host.js';
import type { Logger } from '../logger.js';

export type LlmOperation = 'chat' | 'embed';

/** Provider kinds that can serve each operation. */
const KINDS: Record<LlmOperation, string[]> = { chat: ['llm'], embed: ['embedding', 'llm'] };

/**
 * The LLM provider gateway: routes chat and embedding requests to the provider
 * extension that contributes the named provider (or the only one that fits), in
 * its sandbox, and checks what comes back. Vendors are reached by the provider
 * extensions themselves through `http.fetch` with their credentials. For a chat with
 * `stream: true` the provider's `runs.progress` calls become `step.progress` events of the
 * caller's step.
 */
export class LlmGateway {
  constructor(private readonly deps: { contributions: () => ContributionRegistry; extensionHost: () => ExtensionHost; logger: Logger }) {}

  async call(operation: LlmOperation, request: { provider?: string; model: string } & Record<string, unknown>, context: InvocationContext & { callerExtensionId: string }): Promise<unknown> {
    const providers = this.deps.contributions().list().providers.filter((provider) => KINDS[operation].includes(provider.kind));
    let provider = providers.length === 1 ? providers[0] : undefined;
    if (request.provider) provider = providers.find((candidate) => candidate.id === request.provider);

    if (!provider) {
      const known = providers.map((candidate) => candidate.id).join(', ') || 'none';
      const reason = request.provider
        ? `no active extension contributes a ${operation} provider '${request.provider}'`
        : providers.length === 0
          ? `no active extension contributes a ${operation} provider`
          : `several providers can serve it, so the request must name one`;
      throw new MifyError('not_found', 404, `llm.${operation} failed: ${reason}. Providers available: ${known}.`, { operation, provider: request.provider ?? null });
    }
    if (provider.models && provider.models.length > 0 && !provider.models.includes(request.model)) {
      throw new MifyError('not_found', 404, `Provider '${provider.id}' has no model '${request.model}'; it offers ${provider.models.join(', ')}.`, { provider: provider.id, model: request.model });
    }

    const started = performance.now();
    // The provider may report text deltas with runs.progress; they reach the caller's step only when the caller asked to stream.
    const { progress, ...invocation } = context;
    const forwardProgress = operation === 'chat' && request.stream === true && progress !== undefined;
    const response = await this.deps.extensionHost().invoke(provider.extensionId, { kind: 'provider', name: provider.id, input: { operation, request } }, forwardProgress ? { ...invocation, progress } : invocation);
    const failure = providerFailure(provider.id, request.model, response);
    if (failure) {
      this.deps.logger.warn({ provider: provider.id, model: request.model, operation, code: failure.code, callerExtensionId: context.callerExtensionId, runId: context.runId }, 'llm call failed at the vendor');
      throw failure;
    }
    checkResponse(operation, provider.id, response);
    this.deps.logger.info(
      { provider: provider.id, model: request.model, operation, callerExtensionId: context.callerExtensionId, runId: context.runId, durationMs: Math.round(performance.now() - started), usage: (response as { usage?: unknown }).usage },
      'llm call',
    );
    return response;
  }
}

/**
 * HTTP status of each error code a provider may return in `{ error: { code, message } }`.
 * Any other code is reported as `provider_error` with status 502.
 */
const PROVIDER_ERROR_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  permission_denied: 403,
  not_found: 404,
  rate_limited: 429,
  invalid_provider_response: 502,
  unavailable: 503,
  timeout: 504,
};

/**
 * Turns a provider's `{ error: { code, message, retryAfterSeconds? } }` result into a
 * MifyError. A provider returns vendor failures (a rejected key, throttling, an unknown
 * model) this way instead of throwing, so they reach the caller with a stable code and do
 * not count as failures of the provider's extension.
 */
function providerFailure(providerId: string, model: string, response: unknown): MifyError | null {
  const value = response as { error?: { code?: unknown; message?: unknown; retryAfterSeconds?: unknown } } | null;
  if (value === null || typeof value !== 'object' || typeof value.error !== 'object' || value.error === null) return null;

  const { code, message, retryAfterSeconds } = value.error;
  const knownCode = typeof code === 'string' && Object.hasOwn(PROVIDER_ERROR_STATUS, code) ? code : 'provider_error';
  const text = typeof message === 'string' && message !== '' ? message.slice(0, 4_096) : `Provider '${providerId}' failed without a message.`;
  const details: Record<string, unknown> = { provider: providerId, model };
  if (typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)) details.retryAfterSeconds = retryAfterSeconds;
  return new MifyError(knownCode, PROVIDER_ERROR_STATUS[knownCode] ?? 502, text, details);
}

function checkResponse(operation: LlmOperation, providerId: string, response: unknown): void {
  const value = response as { model?: unknown; message?: unknown; vectors?: unknown; usage?: unknown } | null;
  const valid =
    value !== null &&
    typeof value === 'object' &&
    typeof value.model === 'string' &&
    typeof value.usage === 'object' &&
    (operation === 'chat' ? typeof value.message === 'object' && value.message !== null : Array.isArray(value.vectors) && value.vectors.every((vector) => Array.isArray(vector)));
  if (!valid) {
    throw new MifyError('invalid_provider_response', 502, `Provider '${providerId}' returned an invalid ${operation} response; it must have model, usage and ${operation === 'chat' ? 'message' : 'vectors'}.`, { provider: providerId });
  }
}
