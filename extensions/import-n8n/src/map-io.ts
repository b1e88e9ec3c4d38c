/**
 * Mappers for n8n's HTTP nodes: HTTP Request, Webhook and Respond to Webhook.
 */
import { list, nameValuePairs, record, type Mapper, type NodeMapping } from './model.js';

const MAIN = ['main'];

/** n8n generic credential types → MIFY credential types the HTTP Request node accepts. */
const HTTP_CREDENTIALS: Record<string, string> = {
  httpBasicAuth: 'mify.io.http-basic',
  httpHeaderAuth: 'mify.io.http-header',
  httpQueryAuth: 'mify.io.http-api-key',
  httpBearerAuth: 'mify.io.http-bearer',
};

function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string' || value.startsWith('=')) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export const httpRequest: Mapper = (node) => {
  const p = node.parameters;
  const notes: string[] = [];
  const options = record(p.options);
  const parameters: Record<string, unknown> = { method: String(p.method ?? p.requestMethod ?? 'GET').toUpperCase(), url: p.url ?? '' };

  if (node.typeVersion < 3) {
    notes.push('This is HTTP Request version 1 or 2; only the method, URL and JSON or key-value parameters were carried over.');
    const query = record(p.queryParametersJson) ?? {};
    if (Object.keys(query).length > 0) parameters.query = query;
  }

  if (p.sendQuery === true) {
    parameters.query = p.specifyQuery === 'json' ? parseJsonText(p.jsonQuery) : nameValuePairs(p.queryParameters);
  }
  if (p.sendHeaders === true) {
    parameters.headers = p.specifyHeaders === 'json' ? parseJsonText(p.jsonHeaders) : nameValuePairs(p.headerParameters);
  }
  if (p.sendBody === true) {
    const contentType = typeof p.contentType === 'string' ? p.contentType : 'json';
    if (contentType === 'json') {
      parameters.bodyType = 'json';
      parameters.body = p.specifyBody === 'json' ? parseJsonText(p.jsonBody) : nameValuePairs(p.bodyParameters);
    } else if (contentType === 'form-urlencoded') {
      parameters.bodyType = 'form';
      parameters.body = nameValuePairs(p.bodyParameters);
    } else if (contentType === 'multipart-form-data') {
      parameters.bodyType = 'multipart';
      parameters.body = list(record(p.bodyParameters).parameters).map((raw) => {
        const part = record(raw);
        return part.parameterType === 'formBinaryData' ? { name: part.name, binaryProperty: part.inputDataFieldName ?? 'data' } : { name: part.name, value: part.value ?? '' };
      });
    } else if (contentType === 'raw') {
      parameters.bodyType = 'text';
      parameters.body = p.body ?? '';
      if (typeof p.rawContentType === 'string') parameters.contentType = p.rawContentType;
    } else if (contentType === 'binaryData') {
      parameters.bodyType = 'binary';
      parameters.binaryProperty = p.inputDataFieldName ?? 'data';
    }
  }

  const response = record(record(options.response).response);
  if (response.fullResponse === true) parameters.output = 'full';
  else parameters.output = 'body';
  if (response.neverError === true) parameters.neverError = true;
  const format = response.responseFormat;
  if (format === 'json' || format === 'text') parameters.responseFormat = format;
  if (format === 'file') parameters.responseFormat = 'binary';
  if (typeof options.timeout === 'number') parameters.timeoutMs = Math.max(1, Math.min(600_000, options.timeout));
  if (record(record(options.redirect).redirect).followRedirects === false) parameters.followRedirects = false;

  for (const option of ['proxy', 'allowUnauthorizedCerts', 'batching', 'lowercaseHeaders']) {
    if (options[option] !== undefined) notes.push(`Option "${option}" is not carried over.`);
  }
  if (p.pagination !== undefined || options.pagination !== undefined) notes.push('Pagination is not carried over; set the node\'s pagination parameter.');

  const result: NodeMapping = { type: 'mify.io.http-request', parameters, status: 'mapped', notes, outputs: MAIN, inputs: MAIN };
  const authentication = typeof p.authentication === 'string' ? p.authentication : 'none';
  if (authentication === 'genericCredentialType' && typeof p.genericAuthType === 'string') {
    const suggested = HTTP_CREDENTIALS[p.genericAuthType];
    if (!suggested) notes.push(`Authentication "${p.genericAuthType}" has no MIFY credential type; bind a header or bearer credential that gives the same access.`);
    result.credential = { parameter: 'credential', from: [p.genericAuthType], suggestedTypes: suggested ? [suggested] : ['mify.io.http-header', 'mify.io.http-bearer'] };
  } else if (authentication === 'predefinedCredentialType' && typeof p.nodeCredentialType === 'string') {
    notes.push(`n8n signed the request with its "${p.nodeCredentialType}" credential; bind a MIFY credential that sends the same header or token.`);
    result.credential = { parameter: 'credential', from: [p.nodeCredentialType], suggestedTypes: ['mify.io.http-bearer', 'mify.io.http-header'] };
  } else if (authentication !== 'none' && node.typeVersion < 3) {
    result.credential = { parameter: 'credential', suggestedTypes: Object.values(HTTP_CREDENTIALS) };
  }
  if (notes.length > 0) result.status = 'approximated';
  return result;
};

/** Makes an n8n webhook path valid for MIFY: segments of letters, digits, `-` and `_`. */
function webhookPath(path: unknown, fallback: string): { path: string; changed: boolean } {
  const original = typeof path === 'string' ? path : '';
  const cleaned = original
    .split('/')
    .map((segment) => segment.replace(/^:/, '').replace(/[^A-Za-z0-9_-]/g, '-'))
    .filter((segment) => segment !== '')
    .join('/');
  const result = cleaned === '' ? fallback.replace(/[^A-Za-z0-9_-]/g, '-') : cleaned;
  return { path: result.slice(0, 200), changed: result !== original.replace(/^\/|\/$/g, '') };
}

export const webhook: Mapper = (node) => {
  const p = node.parameters;
  const notes: string[] = ['Items carry MIFY\'s request fields (method, path, headers, query, body, receivedAt); n8n\'s also had params and webhookUrl.'];
  const { path, changed } = webhookPath(p.path, node.id);
  if (changed) notes.push(`The path "${String(p.path ?? '')}" became "${path}": MIFY paths have no :parameters and only letters, digits, - and _.`);

  const methods = p.multipleMethods === true && Array.isArray(p.httpMethod) ? p.httpMethod : [p.httpMethod ?? 'GET'];
  const allowed = methods.map((method) => String(method).toUpperCase()).filter((method) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method));
  const responseMode = p.responseMode === 'lastNode' || p.responseMode === 'responseNode' ? p.responseMode : 'onReceived';
  if (responseMode === 'onReceived') notes.push('MIFY answers 202 with the run id at once; n8n answered 200 with "Workflow was started".');

  const parameters: Record<string, unknown> = { path, methods: allowed.length > 0 ? [...new Set(allowed)] : ['GET'], responseMode };
  const result: NodeMapping = { type: 'mify.io.webhook', parameters, status: 'approximated', notes, outputs: MAIN, inputs: [] };
  if (p.authentication === 'headerAuth') {
    parameters.authentication = 'headerSecret';
    result.credential = { parameter: 'credential', from: ['httpHeaderAuth'], suggestedTypes: ['mify.io.http-header'] };
  } else if (p.authentication === 'basicAuth' || p.authentication === 'jwtAuth') {
    parameters.authentication = 'apiKey';
    notes.push(`n8n checked ${p.authentication === 'basicAuth' ? 'basic authentication' : 'a JWT'}; MIFY checks a workspace API key instead, so callers must send "Authorization: Bearer <MIFY API key>".`);
  }
  return result;
};

export const respondToWebhook: Mapper = (node) => {
  const p = node.parameters;
  const options = record(p.options);
  const notes: string[] = [];
  const parameters: Record<string, unknown> = {};
  const respondWith = typeof p.respondWith === 'string' ? p.respondWith : 'firstIncomingItem';

  if (respondWith === 'allIncomingItems') parameters.body = 'allItemsJson';
  else if (respondWith === 'text') Object.assign(parameters, { body: 'text', text: p.responseBody ?? '' });
  else if (respondWith === 'binary') parameters.body = 'binary';
  else if (respondWith === 'noData') parameters.body = 'noData';
  else if (respondWith === 'json') {
    Object.assign(parameters, { body: 'text', text: p.responseBody ?? '', headers: { 'Content-Type': 'application/json' } });
    notes.push('The JSON body is sent as text with Content-Type application/json.');
  } else if (respondWith === 'redirect') {
    Object.assign(parameters, { body: 'noData', statusCode: 302, headers: { Location: String(p.redirectURL ?? '') } });
  } else {
    parameters.body = 'firstItemJson';
  }

  if (typeof options.responseCode === 'number') parameters.statusCode = options.responseCode;
  const headers = nameValuePairs(record(options.responseHeaders).entries === undefined ? {} : { parameters: record(options.responseHeaders).entries });
  if (Object.keys(headers).length > 0) parameters.headers = { ...record(parameters.headers), ...headers };

  return { type: 'mify.io.respond-to-webhook', parameters, status: notes.length > 0 ? 'approximated' : 'mapped', notes, outputs: MAIN, inputs: MAIN };
};
