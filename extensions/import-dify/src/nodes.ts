/**
 * Mapping of Dify workflow nodes to MIFY nodes.
 */
import { isObject, opaqueNodeType, type ImportFlag, type ImportStatus } from '@mify/sdk';
import type { DifyNode, References } from './dsl.js';

export interface DifyMapping {
  type: string;
  parameters: Record<string, unknown>;
  status: ImportStatus;
  notes: string[];
  flags?: ImportFlag[];
  /** MIFY output port for each Dify source handle; `*` matches any handle. */
  outputs: Record<string, string>;
  inputs: string[];
}

const MAIN_OUT = { '*': 'main' };

/** Dify model providers → MIFY provider ids. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai', anthropic: 'anthropic', deepseek: 'deepseek', ollama: 'ollama', google: 'gemini', gemini: 'gemini', mistralai: 'mistral', groq: 'groq', openrouter: 'openrouter', x: 'xai', xai: 'xai', together: 'together', fireworks: 'fireworks', openai_api_compatible: 'openai-compatible',
};

function mapped(type: string, parameters: Record<string, unknown>, notes: string[] = [], extra: Partial<DifyMapping> = {}): DifyMapping {
  return { type, parameters, status: notes.length > 0 ? 'approximated' : 'mapped', notes, outputs: MAIN_OUT, inputs: ['main'], ...extra };
}

export function opaque(node: DifyNode, reason: string, flags: ImportFlag[] = ['needs-platform']): DifyMapping {
  return {
    type: opaqueNodeType('dify'),
    parameters: { platformType: String(node.data.type ?? 'unknown'), platformTypeVersion: null, original: node.data },
    status: 'opaque',
    notes: [reason, 'Set the node\'s baseUrl and credential to run the original app on Dify, or replace the node.'],
    flags,
    outputs: { '*': 'main' },
    inputs: ['main'],
  };
}

function llm(node: DifyNode, refs: References): DifyMapping {
  const data = node.data;
  const model = isObject(data.model) ? data.model : {};
  const params = isObject(model.completion_params) ? model.completion_params : {};
  const notes: string[] = [];
  const provider = PROVIDERS[String(model.provider ?? '').replace(/^langgenius\/[^/]+\//, '')];
  if (!provider) notes.push(`Model provider "${String(model.provider)}" has no MIFY provider; openai-compatible is used, so set its base URL in the credential.`);

  const templates = Array.isArray(data.prompt_template) ? data.prompt_template.filter(isObject) : isObject(data.prompt_template) ? [data.prompt_template] : [];
  const system = templates.filter((entry) => entry.role === 'system').map((entry) => refs.text(entry.text));
  const conversation = templates.filter((entry) => entry.role !== 'system').map((entry) => ({ role: String(entry.role ?? 'user'), content: refs.text(entry.text) }));
  const last = conversation.pop();

  const parameters: Record<string, unknown> = { provider: provider ?? 'openai-compatible', outputField: 'text' };
  if (typeof model.name === 'string') parameters.model = model.name;
  if (system.length > 0) parameters.system = system.join('\n');
  if (last && last.role === 'user') parameters.prompt = last.content;
  else if (last) conversation.push(last);
  if (!parameters.prompt) notes.push('The prompt has no user message; the item\'s text field is sent as the user message.');
  if (conversation.length > 0) parameters.messages = conversation;
  if (typeof params.temperature === 'number') parameters.temperature = Math.max(0, Math.min(2, params.temperature));
  if (typeof params.max_tokens === 'number') parameters.maxTokens = params.max_tokens;
  if (params.response_format === 'json_object') parameters.responseFormat = 'json';

  if (isObject(data.context) && data.context.enabled === true) notes.push('The context variable is not inserted automatically; put it into the prompt with an expression.');
  if (isObject(data.vision) && data.vision.enabled === true) notes.push('Vision input is not carried over; use a mify.llm.vision node for images.');
  if (isObject(data.memory)) notes.push('Conversation memory is not kept between runs.');
  return mapped('mify.llm.chat', parameters, notes);
}

/** Dify comparison operators → MIFY condition type and operator. */
const OPERATORS: Record<string, [string, string]> = {
  contains: ['string', 'contains'], 'not contains': ['string', 'notContains'], 'start with': ['string', 'startsWith'], 'end with': ['string', 'endsWith'],
  is: ['string', 'equals'], 'is not': ['string', 'notEquals'], empty: ['any', 'isEmpty'], 'not empty': ['any', 'isNotEmpty'],
  '=': ['number', 'equals'], '≠': ['number', 'notEquals'], '>': ['number', 'gt'], '<': ['number', 'lt'], '≥': ['number', 'gte'], '≤': ['number', 'lte'],
  null: ['any', 'notExists'], 'not null': ['any', 'exists'], exists: ['any', 'exists'], 'not exists': ['any', 'notExists'],
};

function conditionsOf(raw: unknown, refs: References, notes: string[]): Array<Record<string, unknown>> {
  const result: Array<Record<string, unknown>> = [];
  for (const condition of Array.isArray(raw) ? raw.filter(isObject) : []) {
    const operator = String(condition.comparison_operator ?? 'is');
    const mappedOperator = OPERATORS[operator];
    const left = refs.expression(condition.variable_selector);
    if (!mappedOperator || !left) {
      notes.push(`Condition "${operator}" on ${JSON.stringify(condition.variable_selector)} cannot be expressed; it was left out.`);
      continue;
    }
    let type = mappedOperator[0];
    if (type === 'string' && condition.varType === 'number') type = 'number';
    if (type === 'string' && Array.isArray(condition.value)) type = 'array';
    const entry: Record<string, unknown> = { leftValue: `{{ ${left} }}`, type, operator: mappedOperator[1] };
    if (!['isEmpty', 'isNotEmpty', 'exists', 'notExists'].includes(mappedOperator[1])) entry.value = typeof condition.value === 'string' ? refs.text(condition.value) : condition.value;
    result.push(entry);
  }
  return result;
}

function ifElse(node: DifyNode, refs: References): DifyMapping {
  const data = node.data;
  const notes: string[] = [];
  const cases = Array.isArray(data.cases) ? data.cases.filter(isObject) : [{ case_id: 'true', conditions: data.conditions, logical_operator: data.logical_operator }];
  const converted = cases.map((entry) => ({ id: String(entry.case_id ?? entry.id ?? 'true'), conditions: conditionsOf(entry.conditions, refs, notes), combinator: entry.logical_operator === 'or' ? 'or' : 'and' }));
  const always = [{ leftValue: true, type: 'boolean', operator: 'isTrue' }];

  if (converted.length === 1) {
    const only = converted[0]!;
    return mapped('mify.control.route-if', { conditions: only.conditions.length > 0 ? only.conditions : always, combinator: only.combinator }, notes, { outputs: { [only.id]: 'true', false: 'false' } });
  }
  if (converted.length > 8) notes.push('More than 8 cases: the cases after the eighth were left out.');
  const outputs: Record<string, string> = { false: 'fallback' };
  converted.slice(0, 8).forEach((entry, index) => (outputs[entry.id] = `output${index}`));
  return mapped('mify.control.route-switch', { mode: 'rules', rules: converted.slice(0, 8).map((entry) => ({ conditions: entry.conditions.length > 0 ? entry.conditions : always, combinator: entry.combinator })), fallback: 'fallback' }, notes, { outputs });
}

function code(node: DifyNode, refs: References): DifyMapping {
  const data = node.data;
  const language = String(data.code_language ?? 'python3');
  if (language !== 'javascript') {
    return { ...opaque(node, 'The code is Python, which needs a Python runtime; MIFY runs JavaScript only. It was not run during the import. Rewrite it in JavaScript in a mify.data.code node, or run it on Dify.', ['carries-code', 'needs-python-runtime', 'needs-platform']) };
  }
  const variables = Array.isArray(data.variables) ? data.variables.filter(isObject) : [];
  const inputs = variables.map((variable) => `${JSON.stringify(String(variable.variable))}: ${refs.expression(variable.value_selector) ?? 'null'}`).join(', ');
  // The kernel resolves {{ }} in parameters before the node runs, which puts the inputs into the code as JSON.
  const source = `const __inputs = {{ JSON.stringify({ ${inputs} }) }};\n${String(data.code ?? '')}\nconst __outputs = main(__inputs);\nreturn [__outputs];`;
  return mapped('mify.data.code', { code: source }, [], { flags: ['carries-code'] });
}

function httpRequest(node: DifyNode, refs: References): DifyMapping {
  const data = node.data;
  const notes = ['The output is one item with status, headers and body (Dify named the status status_code).'];
  const lines = (text: unknown) => Object.fromEntries(String(text ?? '').split('\n').map((line) => line.split(':')).filter((parts) => parts.length >= 2 && parts[0]!.trim() !== '').map(([name, ...value]) => [name!.trim(), refs.text(value.join(':').trim())]));
  const parameters: Record<string, unknown> = { method: String(data.method ?? 'get').toUpperCase(), url: refs.text(data.url), output: 'full' };
  const headers = lines(data.headers);
  const query = lines(data.params);
  if (Object.keys(headers).length > 0) parameters.headers = headers;
  if (Object.keys(query).length > 0) parameters.query = query;

  const body = isObject(data.body) ? data.body : { type: 'none' };
  const bodyData = Array.isArray(body.data) ? body.data.filter(isObject) : [];
  const text = typeof body.data === 'string' ? body.data : bodyData.map((entry) => String(entry.value ?? '')).join('');
  if (body.type === 'json') Object.assign(parameters, { bodyType: 'json', body: refs.text(text) });
  if (body.type === 'raw-text') Object.assign(parameters, { bodyType: 'text', body: refs.text(text) });
  if (body.type === 'x-www-form-urlencoded' || body.type === 'form-data') {
    Object.assign(parameters, { bodyType: body.type === 'form-data' ? 'multipart' : 'form', body: Object.fromEntries(bodyData.map((entry) => [String(entry.key ?? ''), refs.text(entry.value)])) });
  }

  const auth = isObject(data.authorization) ? data.authorization : {};
  const config = isObject(auth.config) ? auth.config : {};
  if (auth.type === 'api-key') notes.push(`The request used a ${String(config.type ?? 'bearer')} API key; it is not in the file, so bind a credential in the node's credential parameter.`);
  return mapped('mify.io.http-request', parameters, notes);
}

function knowledgeRetrieval(node: DifyNode, refs: References): DifyMapping {
  const data = node.data;
  const datasets = Array.isArray(data.dataset_ids) ? data.dataset_ids.map(String) : [];
  const query = refs.expression(data.query_variable_selector);
  const collection = `dify-${(datasets[0] ?? 'knowledge').replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64);
  const notes = [`Dify knowledge bases (${datasets.join(', ') || 'none'}) are not in the file: ingest the documents into the vector collection "${collection}" first.`];
  if (query) notes.push(`The query comes from ${query}; the node reads the item's query field, so set it before this node if needed.`);
  if (datasets.length > 1) notes.push('Only the first knowledge base is searched.');
  const retrieval = isObject(data.multiple_retrieval_config) ? data.multiple_retrieval_config : isObject(data.single_retrieval_config) ? data.single_retrieval_config : {};
  return mapped('mify.rag.retrieve', { collection, queryField: 'query', ...(typeof retrieval.top_k === 'number' ? { topK: retrieval.top_k } : {}) }, notes);
}

function variableAggregator(node: DifyNode): DifyMapping {
  const selectors = (Array.isArray(node.data.variables) ? node.data.variables : []).filter(Array.isArray) as unknown[][];
  const names = [...new Set(selectors.map((selector) => String(selector[selector.length - 1])))];
  const value = names.length > 0 ? `{{ ${names.map((name) => `$json[${JSON.stringify(name)}]`).join(' ?? ')} }}` : '{{ null }}';
  return mapped('mify.data.edit-fields', { operations: [{ op: 'set', path: 'output', value, type: 'auto' }, { op: 'keepOnly', paths: ['output'] }] }, [
    'The output is read from the item that arrives from the branch that ran, not by node reference.',
  ]);
}

function templateTransform(node: DifyNode, refs: References): DifyMapping {
  const variables = new Map((Array.isArray(node.data.variables) ? node.data.variables.filter(isObject) : []).map((variable) => [String(variable.variable), refs.expression(variable.value_selector) ?? 'null']));
  const template = String(node.data.template ?? '');
  const notes = /\{%|\|\s*\w+/.test(template) ? ['Jinja2 statements and filters ({% … %}, | filter) are not evaluated; rewrite them as expressions.'] : [];
  const text = template.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (match, name: string) => (variables.has(name) ? `{{ ${variables.get(name)} }}` : match));
  return mapped('mify.data.edit-fields', { operations: [{ op: 'set', path: 'output', value: text, type: 'string' }, { op: 'keepOnly', paths: ['output'] }] }, notes);
}

function endNode(node: DifyNode, refs: References): DifyMapping {
  const outputs = (Array.isArray(node.data.outputs) ? node.data.outputs : []).filter(isObject);
  if (outputs.length === 0) return mapped('mify.control.no-op', {});
  const operations: Array<Record<string, unknown>> = outputs.map((output) => ({ op: 'set', path: String(output.variable), value: `{{ ${refs.expression(output.value_selector) ?? 'null'} }}`, type: 'auto' }));
  operations.push({ op: 'keepOnly', paths: outputs.map((output) => String(output.variable)) });
  return mapped('mify.data.edit-fields', { operations });
}

/** Maps one Dify node; iteration containers are handled by the graph builder. */
export function mapNode(node: DifyNode, refs: References): DifyMapping {
  switch (node.data.type) {
    case 'start':
      return mapped('mify.control.manual-trigger', {}, [], { inputs: [] });
    case 'llm':
      return llm(node, refs);
    case 'if-else':
      return ifElse(node, refs);
    case 'code':
      return code(node, refs);
    case 'http-request':
      return httpRequest(node, refs);
    case 'knowledge-retrieval':
      return knowledgeRetrieval(node, refs);
    case 'variable-aggregator':
    case 'variable-assigner':
      return variableAggregator(node);
    case 'template-transform':
      return templateTransform(node, refs);
    case 'answer':
      return mapped('mify.data.edit-fields', { operations: [{ op: 'set', path: 'answer', value: refs.text(node.data.answer), type: 'string' }] }, ['The answer is written to the item\'s answer field; MIFY does not stream it to a chat.']);
    case 'end':
      return endNode(node, refs);
    case 'iteration':
      return mapped('mify.control.loop-map', {}, [], { outputs: { '*': 'done' } });
    default:
      return opaque(node, `Dify node type "${String(node.data.type)}" has no MIFY counterpart.`);
  }
}
