import type { Principal } from '../auth/identity.js';
import type { UserService } from '../auth/users.js';
import { MifyError } from '../errors.js';
import type { GraphRunService } from '../graphs/graph-runs.js';
import type { Logger } from '../logger.js';
import type { RunService } from '../runtime/run-service.js';
import type { Database } from '../storage/database.js';
import type { CredentialVault } from '../vault/vault.js';
import { authenticateWebhookRequest } from './webhook-auth.js';
import { MAX_WEBHOOK_PATH_LENGTH, normalizeWebhookPath, WEBHOOK_METHODS, WEBHOOK_PATH_PATTERN, type WebhookMethod } from './webhook-nodes.js';
import { WebhookRegistry } from './webhook-registry.js';
import { readWebhookRequest } from './webhook-request.js';
import { acceptedResponse, followRun, lastNodeResponse, respondNodeResponse, runFailedError } from './webhook-response.js';

export interface WebhookServiceDeps {
  db: Database;
  logger: Logger;
  userService: UserService;
  vault: CredentialVault;
  graphRuns: () => GraphRunService;
  runService: () => RunService;
}

export interface WebhookCall {
  request: Request;
  /** Workspace slug or id, from the URL. */
  workspace: string;
  /** Path after the workspace, from the URL. */
  path: string;
  /** Principal of the request's API key, resolved by the authentication middleware. */
  apiKey: Principal | null;
  requestId: string;
}

/**
 * Handler of `/api/webhooks/<workspace>/<path>`. It finds the webhook node of a live graph
 * version, checks the request's authentication, starts a run of that version with the request
 * as its input item (mode `webhook`) and responds according to the node's response mode.
 */
export class WebhookService {
  private readonly registry: WebhookRegistry;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.registry = new WebhookRegistry({ db: deps.db, logger: deps.logger });
  }

  /**
   * Handles one webhook request and returns the HTTP response.
   *
   * @throws MifyError with status 400, 401, 403, 404, 405, 409 or 500, as listed in the route's responses.
   */

  async handle(call: WebhookCall): Promise<Response> {
    const receivedAt = new Date();
    const method = call.request.method.toUpperCase();
    if (!WEBHOOK_METHODS.includes(method as WebhookMethod)) {
      throw Object.assign(new MifyError('webhook_method_not_allowed', 405, `Webhooks accept ${WEBHOOK_METHODS.join(', ')}; ${method} is not supported.`, { allowed: [...WEBHOOK_METHODS] }), { headers: { allow: WEBHOOK_METHODS.join(', ') } });
    }

    const path = normalizeWebhookPath(call.path);
    if (path.length > MAX_WEBHOOK_PATH_LENGTH || !WEBHOOK_PATH_PATTERN.test(path)) {
      throw new MifyError('webhook_not_found', 404, `No webhook can have the path '${call.path.slice(0, 300)}': webhook paths are up to ${MAX_WEBHOOK_PATH_LENGTH} characters of segments made of letters, digits, '-' and '_', separated by '/'.`, { path: call.path.slice(0, 300) });
    }
    const workspace = await this.deps.userService.findWorkspace(call.workspace);
    if (!workspace) throw new MifyError('webhook_not_found', 404, `Workspace '${call.workspace}' was not found; the URL is /api/webhooks/<workspace slug or id>/${path}.`, { path });

    const target = await this.registry.find(workspace, path, method);
    const caller = await authenticateWebhookRequest({ vault: this.deps.vault }, { target, workspace, headers: call.request.headers, apiKey: call.apiKey }).catch((error: unknown) => {
      const code = error instanceof MifyError ? error.code : 'internal_error';
      this.deps.logger.info({ requestId: call.requestId, workspaceId: workspace.id, graphId: target.graphId, nodeId: target.nodeId, code }, 'webhook request rejected by authentication');
      throw error;
    });
    const item = await readWebhookRequest(call.request, { method, path, hiddenHeaders: caller.secretHeaders, receivedAt });

    // NOTE: the run executes the version matched above by number. A version archived in the
    // moment between the lookup and this call still runs once.
    const run = await this.deps.graphRuns().start({ workspaceId: workspace.id, graphId: target.graphId, version: target.versionNumber, input: [item], mode: 'webhook', createdBy: caller.createdBy, wait: false });
    const log = this.deps.logger.child({ requestId: call.requestId, workspaceId: workspace.id, graphId: target.graphId, runId: run.id });
    log.info({ path, method, nodeId: target.nodeId, responseMode: target.settings.responseMode }, 'webhook run started');

    const { responseMode, timeoutMs } = target.settings;
    if (responseMode === 'onReceived') return acceptedResponse(run);

    const outcome = await followRun(this.deps.runService(), { workspaceId: workspace.id, runId: run.id, untilRespond: responseMode === 'responseNode', timeoutMs });
    if (outcome.kind === 'timeout') {
      log.info({ timeoutMs }, 'webhook wait timed out; responded 202 with the run id');
      const waitedFor = responseMode === 'lastNode' ? 'finish' : 'reach a respond-to-webhook node';
      return acceptedResponse(run, `The run did not ${waitedFor} within ${timeoutMs} ms (the webhook's timeoutMs); it goes on, and links.run shows its progress.`);
    }

    const record = await this.deps.runService().get(workspace.id, run.id);
    if (responseMode === 'lastNode') return lastNodeResponse(record);
    if (outcome.kind === 'responded') return respondNodeResponse(record, outcome.stepId);
    if (record.status !== 'succeeded') throw runFailedError(record);
    throw new MifyError(
      'webhook_no_response',
      500,
      `Run ${run.id} finished without running a respond-to-webhook node, but the webhook's response mode is responseNode. Connect a respond-to-webhook node on every path the run can take, or set responseMode to lastNode.`,
      { runId: run.id },
    );
  }
}
