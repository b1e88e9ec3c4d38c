/**
 * Mappers for n8n's core nodes: triggers, routing, loops, merges, waits, sub-workflows,
 * Edit Fields and Code.
 */
import type { ImportScheduleHint } from '@mify/sdk';
import { convertFilter, convertV1Conditions } from './conditions.js';
import { list, locatorValue, record, type Mapper, type N8nNode, type NodeMapping } from './model.js';

const MAIN = ['main'];

function mapping(type: string, parameters: Record<string, unknown>, extra: Partial<NodeMapping> = {}): NodeMapping {
  return { type, parameters, status: 'mapped', notes: [], outputs: MAIN, inputs: MAIN, ...extra };
}

export const manualTrigger: Mapper = () => mapping('mify.control.manual-trigger', {}, { inputs: [] });

export const executeWorkflowTrigger: Mapper = () => mapping('mify.control.manual-trigger', {}, { inputs: [] });

export const chatTrigger: Mapper = () =>
  mapping('mify.control.manual-trigger', {}, {
    inputs: [],
    status: 'approximated',
    notes: ['The n8n chat window is not carried over: start runs with items such as { "chatInput": "…", "sessionId": "…" } from the API or the studio.'],
  });

/** Cron fields of one n8n Schedule Trigger interval rule, or a reason it cannot be one cron expression. */
function intervalCron(rule: Record<string, unknown>): { cron: string; note?: string } {
  const field = typeof rule.field === 'string' ? rule.field : 'days';
  const minute = Number(rule.triggerAtMinute ?? 0);
  const hour = Number(rule.triggerAtHour ?? 0);
  const every = (key: string) => Math.max(1, Number(rule[key] ?? 1));

  switch (field) {
    case 'cronExpression':
      return { cron: String(rule.expression ?? '').trim() };
    case 'seconds':
      return { cron: `*/${every('secondsInterval')} * * * * *` };
    case 'minutes':
      return { cron: `*/${every('minutesInterval')} * * * *` };
    case 'hours':
      return { cron: `${minute} */${every('hoursInterval')} * * *` };
    case 'days': {
      const days = every('daysInterval');
      return { cron: `${minute} ${hour} ${days === 1 ? '*' : `*/${days}`} * *` };
    }
    case 'weeks': {
      const weekdays = list(rule.triggerAtDay).map(Number).filter((day) => day >= 0 && day <= 6);
      const weeks = every('weeksInterval');
      return { cron: `${minute} ${hour} * * ${weekdays.length > 0 ? weekdays.join(',') : '0'}`, ...(weeks > 1 ? { note: `Every ${weeks} weeks cannot be written as one cron expression; the hint runs every week.` } : {}) };
    }
    case 'months':
      return { cron: `${minute} ${hour} ${Number(rule.triggerAtDayOfMonth ?? 1)} */${every('monthsInterval')} *` };
    default:
      return { cron: '', note: `Interval unit "${field}" is unknown.` };
  }
}

export const scheduleTrigger: Mapper = (node, context) => {
  const rules = list(record(node.parameters.rule).interval).map(record);
  const timezone = typeof context.settings.timezone === 'string' && context.settings.timezone !== 'DEFAULT' ? context.settings.timezone : undefined;
  const notes = ['The schedule is stored as a schedule hint of the graph; create the schedule from it (Schedules in the studio, or POST /api/graphs/{id}/schedules) once the graph is published.'];
  const hints: ImportScheduleHint[] = [];
  for (const rule of rules.length > 0 ? rules : [{}]) {
    const { cron, note } = intervalCron(rule);
    if (note) notes.push(note);
    if (cron === '') continue;
    hints.push({ cron, ...(timezone ? { timezone } : {}), description: `From n8n node '${node.name}'` });
  }
  return mapping('mify.control.manual-trigger', {}, { inputs: [], status: 'approximated', notes, scheduleHints: hints });
};

export const cronTrigger: Mapper = (node, context) => {
  const times = list(record(node.parameters.triggerTimes).item).map(record);
  const rules = times.map((time): Record<string, unknown> => {
    const hour = time.hour ?? 14;
    const minute = time.minute ?? 0;
    switch (time.mode) {
      case 'everyMinute': return { field: 'minutes', minutesInterval: 1 };
      case 'everyHour': return { field: 'hours', hoursInterval: 1, triggerAtMinute: minute };
      case 'everyWeek': return { field: 'weeks', triggerAtDay: [Number(time.weekday ?? 1)], triggerAtHour: hour, triggerAtMinute: minute };
      case 'everyMonth': return { field: 'months', triggerAtDayOfMonth: time.dayOfMonth ?? 1, triggerAtHour: hour, triggerAtMinute: minute };
      case 'custom': return { field: 'cronExpression', expression: time.cronExpression };
      default: return { field: 'days', triggerAtHour: hour, triggerAtMinute: minute };
    }
  });
  return scheduleTrigger({ ...node, parameters: { rule: { interval: rules } } }, context);
};

export const noOp: Mapper = () => mapping('mify.control.no-op', {});

export const ifNode: Mapper = (node) => {
  const converted = node.typeVersion >= 2
    ? convertFilter(node.parameters.conditions, record(node.parameters.options).looseTypeValidation === true || node.parameters.looseTypeValidation === true)
    : convertV1Conditions(node.parameters.conditions, node.parameters.combineOperation);
  const parameters: Record<string, unknown> = { conditions: converted.conditions, combinator: converted.combinator };
  if (converted.looseTypes) parameters.looseTypes = true;

  if (converted.conditions.length === 0) {
    // MIFY's If needs a condition, so one that is always true keeps n8n's "no conditions" behaviour of sending items to true.
    parameters.conditions = [{ leftValue: true, type: 'boolean', operator: 'isTrue' }];
    converted.notes.push('The node had no usable condition, so every item goes to true.');
  }
  return mapping('mify.control.route-if', parameters, { outputs: ['true', 'false'], status: converted.notes.length > 0 ? 'approximated' : 'mapped', notes: converted.notes });
};

export const filterNode: Mapper = (node) => {
  const converted = node.typeVersion >= 2 ? convertFilter(node.parameters.conditions, record(node.parameters.options).looseTypeValidation === true) : convertV1Conditions(node.parameters.conditions, node.parameters.combineConditions);
  const parameters: Record<string, unknown> = { conditions: converted.conditions.length > 0 ? converted.conditions : [{ leftValue: true, type: 'boolean', operator: 'isTrue' }], combinator: converted.combinator };
  if (converted.looseTypes) parameters.looseTypes = true;
  return mapping('mify.data.filter', parameters, { outputs: ['main', 'discarded'], status: converted.notes.length > 0 ? 'approximated' : 'mapped', notes: converted.notes });
};

const SWITCH_OUTPUTS = ['output0', 'output1', 'output2', 'output3', 'output4', 'output5', 'output6', 'output7'];

export const switchNode: Mapper = (node) => {
  const notes: string[] = [];
  const options = record(node.parameters.options);

  if (node.typeVersion < 3) {
    const rules = list(record(node.parameters.rules).rules).map(record);
    const dataType = typeof node.parameters.dataType === 'string' ? node.parameters.dataType : 'number';
    const converted = rules.map((rule) => convertV1Conditions({ [dataType]: [{ value1: node.parameters.value1, operation: rule.operation, value2: rule.value2 }] }, 'all'));
    for (const entry of converted) notes.push(...entry.notes);
    const parameters: Record<string, unknown> = { mode: 'rules', rules: converted.map((entry, index) => ({ conditions: entry.conditions, output: Number(rules[index]!.output ?? index) })) };
    if (node.parameters.mode === 'expression') {
      return mapping('mify.control.route-switch', { mode: 'value', value: node.parameters.output ?? 0 }, { outputs: SWITCH_OUTPUTS.slice(0, 4) });
    }
    const fallback = Number(node.parameters.fallbackOutput ?? -1);
    parameters.fallback = 'discard';
    const result = mapping('mify.control.route-switch', parameters, { outputs: SWITCH_OUTPUTS.slice(0, 4), status: notes.length > 0 ? 'approximated' : 'mapped', notes });
    if (fallback >= 0) {
      parameters.fallback = 'fallback';
      result.fallbackToOutput = fallback;
    }
    return result;
  }

  if (node.parameters.mode === 'expression') {
    const count = Math.min(8, Number(node.parameters.numberOutputs ?? 4));
    return mapping('mify.control.route-switch', { mode: 'value', value: node.parameters.output ?? 0, fallback: 'error' }, { outputs: SWITCH_OUTPUTS.slice(0, count) });
  }

  const rules = list(record(node.parameters.rules).values).map(record);
  if (rules.length > 8) notes.push(`The node has ${rules.length} rules but MIFY's Switch has 8 outputs; rules after the eighth were left out.`);
  const converted = rules.slice(0, 8).map((rule) => convertFilter(rule.conditions, options.looseTypeValidation === true));
  for (const entry of converted) notes.push(...entry.notes);

  const parameters: Record<string, unknown> = {
    mode: 'rules',
    rules: converted.map((entry) => ({ conditions: entry.conditions.length > 0 ? entry.conditions : [{ leftValue: true, type: 'boolean', operator: 'isTrue' }], combinator: entry.combinator, ...(entry.looseTypes ? { looseTypes: true } : {}) })),
  };
  if (options.allMatchingOutputs === true) parameters.sendToAllMatching = true;
  const outputs = SWITCH_OUTPUTS.slice(0, converted.length);

  const fallback = options.fallbackOutput;
  if (fallback === 'extra') {
    parameters.fallback = 'fallback';
    return mapping('mify.control.route-switch', parameters, { outputs: [...outputs, 'fallback'], status: notes.length > 0 ? 'approximated' : 'mapped', notes });
  }
  parameters.fallback = 'discard';
  const result = mapping('mify.control.route-switch', parameters, { outputs, status: notes.length > 0 ? 'approximated' : 'mapped', notes });
  if (typeof fallback === 'number' || (typeof fallback === 'string' && /^\d+$/.test(fallback))) {
    parameters.fallback = 'fallback';
    result.fallbackToOutput = Number(fallback);
  }
  return result;
};

export const merge: Mapper = (node) => {
  const p = node.parameters;
  const options = record(p.options);
  const inputs = ['input1', 'input2'];
  const notes: string[] = [];
  const numberInputs = Number(p.numberInputs ?? 2);
  if (numberInputs > 2) notes.push(`The node merges ${numberInputs} inputs, but MIFY's Merge joins two; inputs after the second are not connected.`);
  const mode = typeof p.mode === 'string' ? p.mode : 'append';
  const result = (parameters: Record<string, unknown>, extraNotes: string[] = []) => {
    const all = [...notes, ...extraNotes];
    return mapping('mify.control.merge', parameters, { inputs, status: all.length > 0 ? 'approximated' : 'mapped', notes: all });
  };

  if (mode === 'append') return result({ mode: 'append' });
  if (mode === 'mergeByIndex' || (mode === 'combine' && p.combineBy === 'combineByPosition') || mode === 'combineByPosition') {
    return result({ mode: 'combineByPosition', ...(options.includeUnpaired === true ? { includeUnpaired: true } : {}) });
  }
  if (mode === 'chooseBranch' || mode === 'passThrough' || mode === 'wait') {
    return result({ mode: 'first' }, ['n8n waits for both inputs and passes on one of them; MIFY passes on whichever input brings items first.']);
  }
  if (mode === 'mergeByKey' || (mode === 'combine' && (p.combineBy === 'combineByFields' || p.combineBy === undefined)) || mode === 'combineByFields') {
    const pairs = list(record(p.mergeByFields).values).map(record);
    const simple = typeof p.fieldsToMatchString === 'string' ? p.fieldsToMatchString.split(',').map((field) => field.trim()).filter(Boolean) : [];
    const key1 = String(pairs[0]?.field1 ?? simple[0] ?? p.propertyName1 ?? 'id');
    const key2 = String(pairs[0]?.field2 ?? simple[0] ?? p.propertyName2 ?? key1);
    const extra: string[] = [];
    if (pairs.length > 1 || simple.length > 1) extra.push('Only the first pair of fields to match is used; MIFY matches on one key.');
    const joinModes: Record<string, string> = { keepMatches: 'inner', keepEverything: 'outer', enrichInput1: 'left' };
    const joinMode = typeof p.joinMode === 'string' ? p.joinMode : 'keepMatches';
    const join = joinModes[joinMode];
    if (!join) extra.push(`Join mode "${joinMode}" has no MIFY counterpart; an inner join is used.`);
    return result({ mode: 'combineByKey', key1, key2, join: join ?? 'inner' }, extra);
  }
  return { ...result({ mode: 'append' }, [`Merge mode "${mode}${p.combineBy ? ` ${String(p.combineBy)}` : ''}" has no MIFY counterpart; the inputs are appended instead.`]), status: 'approximated' };
};

export const splitInBatches: Mapper = (node) => {
  const batchSize = Math.max(1, Math.min(10_000, Number(node.parameters.batchSize ?? 1)));
  const parameters = batchSize === 1 ? {} : { batchSize };
  if (node.typeVersion >= 3) {
    const notes = record(node.parameters.options).reset === true ? ['The "reset" option is not carried over: the loop starts over only when it is entered again.'] : [];
    return mapping('mify.control.loop-map', parameters, { outputs: ['done', 'loop'], status: notes.length > 0 ? 'approximated' : 'mapped', notes });
  }
  return mapping('mify.control.loop-map', parameters, {
    outputs: ['loop'],
    status: 'approximated',
    notes: ['n8n Split in Batches v1/v2 has one output and ends the loop with an If on noItemsLeft; in MIFY connect the loop node\'s "done" output to what follows the loop.'],
  });
};

export const wait: Mapper = (node) => {
  const p = node.parameters;
  const resume = typeof p.resume === 'string' ? p.resume : 'timeInterval';
  if (resume === 'specificTime') return mapping('mify.control.wait', { mode: 'until', until: p.dateTime ?? '' });
  if (resume === 'timeInterval') {
    // n8n changed the defaults in version 1.1 from 1 hour to 5 seconds.
    const amount = p.amount ?? (node.typeVersion >= 1.1 ? 5 : 1);
    const unit = p.unit ?? (node.typeVersion >= 1.1 ? 'seconds' : 'hours');
    return mapping('mify.control.wait', { mode: 'duration', amount, unit });
  }
  return mapping('mify.human.pause', { message: `Resume this run (n8n resumed it through a ${resume === 'form' ? 'form submission' : 'webhook call'}).` }, {
    status: 'approximated',
    notes: [`n8n resumed on a ${resume === 'form' ? 'form submission' : 'call of $execution.resumeUrl'}; in MIFY the run waits until it is resumed with POST /api/runs/{id}/resume or in the studio.`],
  });
};

export const executeWorkflow: Mapper = (node) => {
  const p = node.parameters;
  const source = typeof p.source === 'string' ? p.source : 'database';
  const workflowId = locatorValue(p.workflowId);
  const notes: string[] = [];
  let graphId = typeof workflowId === 'string' && workflowId !== '' ? workflowId : '';

  if (source !== 'database') notes.push(`The sub-workflow came from "${source}"; import that workflow as its own graph and set graphId to it.`);
  if (graphId === '') {
    graphId = 'set-the-graph-id';
    notes.push('No workflow was selected; set graphId to the MIFY graph to run.');
  } else {
    notes.push(`graphId is n8n workflow id ${graphId}: import that workflow and set graphId to the new graph's id.`);
  }
  if (record(p.options).waitForSubWorkflow === false) notes.push('n8n did not wait for the sub-workflow; MIFY waits for the child run to finish.');
  if (p.mode === 'each') notes.push('n8n ran the sub-workflow once per item; MIFY runs it once with all items.');
  return mapping('mify.control.sub-workflow', { graphId }, { status: 'approximated', notes });
};

/** n8n Set parameter types → MIFY edit-fields conversion. */
const SET_TYPES: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean', array: 'auto', object: 'auto' };

function setOperations(node: N8nNode, notes: string[]): Array<Record<string, unknown>> | null {
  const p = node.parameters;
  const operations: Array<Record<string, unknown>> = [];

  if (node.typeVersion >= 3.3 || record(p.assignments).assignments !== undefined) {
    for (const raw of list(record(p.assignments).assignments)) {
      const assignment = record(raw);
      if (typeof assignment.name !== 'string' || assignment.name === '') continue;
      const type = SET_TYPES[String(assignment.type ?? 'string')] ?? 'auto';
      const value = assignment.value ?? '';
      const parsed = (assignment.type === 'array' || assignment.type === 'object') && typeof value === 'string' && !value.startsWith('=') ? 'json' : type;
      operations.push({ op: 'set', path: assignment.name, value, type: parsed });
    }
    return operations;
  }

  if (node.typeVersion >= 3) {
    for (const raw of list(record(p.fields).values)) {
      const field = record(raw);
      const type = String(field.type ?? 'stringValue').replace(/Value$/, '');
      const value = field[`${type}Value`] ?? field.stringValue ?? '';
      operations.push({ op: 'set', path: String(field.name ?? ''), value, type: SET_TYPES[type] ?? 'auto' });
    }
    return operations;
  }

  const values = record(p.values);
  for (const [kind, entries] of Object.entries(values)) {
    for (const raw of list(entries)) {
      const entry = record(raw);
      operations.push({ op: 'set', path: String(entry.name ?? ''), value: entry.value ?? '', type: SET_TYPES[kind] ?? 'auto' });
    }
  }
  if (record(p.options).dotNotation === false) notes.push('n8n wrote names with dots as one field; MIFY reads them as paths.');
  return operations;
}

/** Which input fields n8n Set keeps besides the ones it sets: all, none, selected or except. */
function includedFields(node: N8nNode): string {
  const p = node.parameters;
  if (node.typeVersion >= 3.3) return p.includeOtherFields === true ? String(p.include ?? 'all') : 'none';
  if (node.typeVersion >= 3) return String(p.include ?? 'all');
  return p.keepOnlySet === true ? 'none' : 'all';
}

export const setNode: Mapper = (node) => {
  const p = node.parameters;
  const notes: string[] = [];
  const options = record(p.options);

  if (p.mode === 'raw') {
    const text = typeof p.jsonOutput === 'string' ? p.jsonOutput : '';
    let parsed: unknown;
    try {
      parsed = text.includes('{{') ? undefined : JSON.parse(text.replace(/^=/, ''));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return mapping('mify.data.edit-fields', { operations: [{ op: 'set', path: 'json', value: text, type: 'json' }] }, {
        status: 'approximated',
        notes: ['The JSON output holds expressions, so it is set as the field "json", parsed as JSON; move its fields up with Edit Fields or rewrite it as one set operation per field.'],
      });
    }
    const operations: Array<Record<string, unknown>> = Object.entries(parsed as Record<string, unknown>).map(([path, value]) => ({ op: 'set', path, value, type: 'auto' }));
    if (operations.length === 0) return mapping('mify.control.no-op', {}, { status: 'approximated', notes: ['The JSON output is empty, so the node became a no-op.'] });
    if (p.includeOtherFields !== true) operations.push({ op: 'keepOnly', paths: Object.keys(parsed as object) });
    return mapping('mify.data.edit-fields', { operations });
  }

  const operations = setOperations(node, notes) ?? [];
  const paths = operations.map((operation) => String(operation.path));
  const include = includedFields(node);
  if (options.dotNotation === false && paths.some((path) => path.includes('.'))) notes.push('n8n wrote names with dots as one field ("dot notation" off); MIFY reads them as paths.');

  if (include === 'none' && paths.length > 0) operations.push({ op: 'keepOnly', paths });
  if (include === 'selected') {
    const kept = String(p.includeFields ?? '').split(',').map((field) => field.trim()).filter(Boolean);
    operations.push({ op: 'keepOnly', paths: [...paths, ...kept] });
  }
  if (include === 'except') {
    for (const field of String(p.excludeFields ?? '').split(',').map((name) => name.trim()).filter(Boolean)) operations.push({ op: 'remove', path: field });
  }
  if (operations.length === 0) return mapping('mify.control.no-op', {}, { status: 'approximated', notes: ['The node set no fields, so it became a no-op.'] });
  return mapping('mify.data.edit-fields', { operations }, { status: notes.length > 0 ? 'approximated' : 'mapped', notes });
};

/** First line added to n8n JavaScript so `$input` works as in n8n; kept on the first line so error line numbers stay right. */
export const ALL_ITEMS_PRELUDE = 'const $input = { all: () => items, first: () => items[0], last: () => items[items.length - 1], item: items[0] }; ';
export const EACH_ITEM_PRELUDE = 'const $input = { item }; ';

/** n8n globals that MIFY's code sandbox does not provide. */
const UNSUPPORTED_CODE_GLOBALS = ['$node', '$(', '$items(', '$execution', '$workflow', '$env', '$vars', '$prevNode', '$runIndex', '$getWorkflowStaticData', 'this.helpers', '$jmespath', 'DateTime', 'require(', 'await ', 'fetch('];

export const code: Mapper = (node) => {
  const p = node.parameters;
  const language = typeof p.language === 'string' ? p.language : 'javaScript';
  if (language === 'python' || language === 'pythonNative') {
    return {
      ...opaqueCodeMapping(),
      notes: ['The code is Python, which needs a Python runtime; MIFY runs JavaScript only. Rewrite it in JavaScript with a mify.data.code node, or run it on n8n through this node\'s webhookUrl.'],
      flags: ['carries-code', 'needs-python-runtime', 'needs-platform'],
    };
  }

  const eachItem = p.mode === 'runOnceForEachItem' || node.type.endsWith('.functionItem');
  const source = String(p.jsCode ?? p.functionCode ?? '');
  const usedGlobals = UNSUPPORTED_CODE_GLOBALS.filter((name) => source.includes(name));
  const prelude = eachItem ? EACH_ITEM_PRELUDE : ALL_ITEMS_PRELUDE;
  const parameters: Record<string, unknown> = { code: source.includes('$input') ? prelude + source : source };
  if (eachItem) parameters.mode = 'eachItem';

  const notes = usedGlobals.length > 0 ? [`The code uses ${usedGlobals.join(', ')}, which MIFY's code node does not provide (it sees items, $input and JavaScript built-ins, runs synchronously and has no network).`] : [];
  if (node.type.endsWith('.function') || node.type.endsWith('.functionItem')) notes.push('This is n8n\'s legacy Function node; check that the code returns items as MIFY expects.');
  return mapping('mify.data.code', parameters, { status: notes.length > 0 ? 'approximated' : 'mapped', notes, flags: ['carries-code'] });
};

function opaqueCodeMapping(): NodeMapping {
  return { type: 'opaque', parameters: {}, status: 'opaque', notes: [], outputs: MAIN, inputs: MAIN };
}

