import { SANDBOX_HARDENING_SOURCE } from './sandbox-hardening.js';

/**
 * Parameter names of every compiled expression, in the order the sandbox passes the values.
 * The kernel uses the list too, to compile an expression again for a syntax error's position.
 */
export const EXPRESSION_PARAMETERS = ['$json', '$input', '$itemIndex', '$node', '$', '$vars', '$run', '$now', '$today'] as const;

/**
 * Text around an expression in the body of its compiled function. The expression gets lines
 * of its own, so a trailing `// comment` cannot swallow the closing parenthesis.
 */
export const EXPRESSION_BODY_PREFIX = '"use strict";\nreturn (\n';
export const EXPRESSION_BODY_SUFFIX = '\n);';

/** Phases the sandbox reports through the shared progress array, read by the kernel's watchdog. */
export const Phase = {
  /** A fresh isolate, before its first call. */
  idle: 0,
  /** Parsing the request, compiling new expressions and loading the scope. */
  setup: 1,
  /** Running expression number `progress[1]` of the call. */
  evaluating: 2,
  /**
   * The call has returned its response. Promise callbacks that expressions scheduled may still
   * run, because isolated-vm runs pending microtasks before it hands the response over.
   */
  settling: 3,
} as const;

/** Settings the kernel hands to the sandbox bootstrap, as JSON. */
export interface SandboxConfig {
  /** Largest JSON response of one call, in UTF-16 code units. Items past it move to the next call. */
  maxResponseChars: number;
}

/** Script URL of the bootstrap, as it appears in stack traces inside the isolate. */
export const SANDBOX_BOOTSTRAP_URL = 'mify-expressions:///bootstrap.js';

/**
 * Source of the script that runs once in each fresh isolate. It evaluates to a setup function
 * `(fetchScope, progressBuffer, configJson) => evaluate`, where:
 *
 * - `fetchScope(kind, group, name, index)` is a synchronous isolated-vm Callback into the
 *   kernel that returns JSON: `('names', group)` the names of the nodes that ran,
 *   `('node', group, name, index)` items of one node, `('input', group, '', index)` input
 *   items. A null `index` requests all items. A number requests the item at that index, or
 *   null, and counts from the end when negative, as `Array.prototype.at` does.
 * - `progressBuffer` is a SharedArrayBuffer of two Int32 values, `[phase, position]`, where
 *   `position` is `itemOffset × expressionsPerItem + expressionNumber` while evaluating.
 *   The kernel samples it with the isolate's CPU time to stop one expression at its limit.
 * - `evaluate(requestJson)` runs one call and returns the response JSON.
 *
 * Request: `{ evict: id[], compile: [id, source][], sites, contexts, items, batch }`.
 * - A site is an expression id (a single expression that keeps its type) or an array of
 *   literal strings and expression ids (a template joined to text).
 * - A context is `{ vars, run, now }`.
 * - An item is `[contextIndex, inputGroup, nodesGroup, itemIndex, json]`.
 * - `batch` makes node and input lookups fetch all items of a node at once, because the
 *   other items of the call will likely need them too.
 *
 * Response: `{ done, results }`, where `done` is the number of items evaluated (fewer than
 * requested when the response reached `maxResponseChars`) and each result is
 * `[0, values, undefinedSites]` or `[1, siteIndex, expressionNumber, reason, errorName, message]`.
 *
 * Invariants the kernel relies on:
 * - `fetchScope`, the progress array and the compiled-function cache live only in this
 *   closure. Expressions receive frozen data and frozen helper objects, never these.
 * - The context is locked down by SANDBOX_HARDENING_SOURCE before any expression runs: no
 *   prototype pollution, no new globals, no shared memory. Scope data is frozen too, because
 *   one call shares it between the items it evaluates.
 *
 * The source is a plain string, not a stringified function, so no transpiler can add helper
 * calls that do not exist inside the isolate.
 */
export const SANDBOX_BOOTSTRAP_SOURCE = String.raw`
(function createExpressionSandbox(fetchScope, progressBuffer, configJson) {
  'use strict';

  const JsonParse = JSON.parse;
  const JsonStringify = JSON.stringify;
  const ObjectFreeze = Object.freeze;
  const ObjectCreate = Object.create;
  const ObjectPrototype = Object.prototype;
  const ArrayIsArray = Array.isArray;
  const ReflectApply = Reflect.apply;
  const FunctionCtor = Function;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const PromiseThen = Promise.prototype.then;
  const DateCtor = Date;
  const StringCtor = String;
  const ProxyCtor = Proxy;
  const AtomicsStore = Atomics.store;
  const ArrayAt = Array.prototype.at;
  const StringSlice = String.prototype.slice;
  const DateToIsoString = Date.prototype.toISOString;

  const config = JsonParse(configJson);
  const progress = new Int32Array(progressBuffer);
  const PHASE_SETUP = ${Phase.setup};
  const PHASE_EVALUATING = ${Phase.evaluating};
  const PHASE_SETTLING = ${Phase.settling};
  const MAX_MESSAGE_CHARS = 2000;
  const PARAMETERS = ${JSON.stringify(EXPRESSION_PARAMETERS)};

  /** Compiled expressions by id: a function, or { errorName, message } when the source does not parse. */
  const compiled = new Map();

  /** Errors this file raises on purpose, with their failure reason. A WeakMap, so expressions cannot forge one. */
  const failureReasons = new WeakMap();

  function fail(reason, message, errorName = '') {
    const error = new ErrorCtor(message);
    failureReasons.set(error, [reason, errorName]);
    throw error;
  }

  function truncate(text) {
    return text.length > MAX_MESSAGE_CHARS ? ReflectApply(StringSlice, text, [0, MAX_MESSAGE_CHARS]) + '…' : text;
  }

  // Built-ins above are captured; from here on the context is locked down.
  ${SANDBOX_HARDENING_SOURCE}

  // ---- Scope data ------------------------------------------------------------------------

  /** Deep-freezes parsed JSON without recursion, so deep nesting cannot overflow the stack. */
  function freezeData(root) {
    if (typeof root !== 'object' || root === null) return root;
    const stack = [root];
    while (stack.length > 0) {
      const value = stack.pop();
      ObjectFreeze(value);
      if (ArrayIsArray(value)) {
        for (let index = 0; index < value.length; index++) {
          const child = value[index];
          if (typeof child === 'object' && child !== null) stack.push(child);
        }
      } else {
        for (const key in value) {
          const child = value[key];
          if (typeof child === 'object' && child !== null) stack.push(child);
        }
      }
    }
    return root;
  }

  /** State of the call being evaluated. */
  let call = null;

  function fetchJson(kind, group, name, index) {
    return freezeData(JsonParse(fetchScope(kind, group, name, index)));
  }

  function allItems(kind, group, name) {
    const key = kind + '\u0000' + group + '\u0000' + name;
    let items = call.fetched.get(key);
    if (items === undefined) {
      items = fetchJson(kind, group, name, null);
      call.fetched.set(key, items);
    }
    return items;
  }

  function itemAt(kind, group, name, index) {
    const allKey = kind + '\u0000' + group + '\u0000' + name;
    if (call.batch || call.fetched.has(allKey)) return ReflectApply(ArrayAt, allItems(kind, group, name), [index]);

    const key = allKey + '\u0000' + index;
    let item = call.fetched.get(key);
    if (item === undefined) {
      item = fetchJson(kind, group, name, index);
      call.fetched.set(key, item);
    }
    return item === null ? undefined : item;
  }

  function nodeNames(group) {
    const key = 'names\u0000' + group;
    let names = call.fetched.get(key);
    if (names === undefined) {
      names = new Set(fetchJson('names', group, '', null));
      call.fetched.set(key, names);
    }
    return names;
  }

  function requireNode(group, name) {
    const names = nodeNames(group);
    if (names.has(name)) return;

    const ran = names.size === 0 ? 'no node has run yet' : 'nodes that ran: ' + [...names].map((each) => JsonStringify(each)).join(', ');
    fail('unknown_node', 'node ' + JsonStringify(name) + ' has not run yet or does not exist (' + ran + '); check the name, or connect that node before this one');
  }

  function nodeAccessor(group, name) {
    const key = 'accessor\u0000' + group + '\u0000' + name;
    let accessor = call.fetched.get(key);
    if (accessor !== undefined) return accessor;

    const firstItem = () => {
      const item = itemAt('node', group, name, 0);
      if (item === undefined) fail('runtime', 'node ' + JsonStringify(name) + ' ran but returned no items');
      return item;
    };
    accessor = ObjectFreeze({
      get json() { return firstItem().json; },
      get item() { return itemAt('node', group, name, call.itemIndex) ?? firstItem(); },
      get items() { return allItems('node', group, name); },
      all: () => allItems('node', group, name),
      first: () => itemAt('node', group, name, 0),
      last: () => itemAt('node', group, name, -1),
    });
    call.fetched.set(key, accessor);
    return accessor;
  }

  /** $node and $ for one group of node outputs, created at most once per call. */
  function nodeHelpers(group) {
    let helpers = call.nodeHelpers[group];
    if (helpers !== undefined) return helpers;

    const reject = () => false;
    const proxy = new ProxyCtor(ObjectCreate(null), {
      get(target, name) {
        if (typeof name !== 'string') return undefined;
        if (nodeNames(group).has(name)) return nodeAccessor(group, name);
        // Lets String($node) and JSON.stringify($node) work when no node has these names.
        if (name === 'toJSON' || name === 'then') return undefined;
        if (name in ObjectPrototype) return ObjectPrototype[name];
        requireNode(group, name);
      },
      has: (target, name) => typeof name === 'string' && nodeNames(group).has(name),
      ownKeys: () => [...nodeNames(group)],
      getOwnPropertyDescriptor(target, name) {
        if (typeof name !== 'string' || !nodeNames(group).has(name)) return undefined;
        return { value: nodeAccessor(group, name), writable: false, enumerable: true, configurable: true };
      },
      getPrototypeOf: () => null,
      set: reject,
      defineProperty: reject,
      deleteProperty: reject,
      setPrototypeOf: reject,
      preventExtensions: reject,
    });
    const selector = ObjectFreeze((name) => {
      if (typeof name !== 'string') fail('runtime', '$() needs a node name as a string, e.g. $("Fetch")');
      requireNode(group, name);
      return nodeAccessor(group, name);
    });

    helpers = { proxy, selector };
    call.nodeHelpers[group] = helpers;
    return helpers;
  }

  /** $input for one group of input items, created at most once per call. */
  function inputAccessor(group) {
    let input = call.inputAccessors[group];
    if (input === undefined) {
      input = ObjectFreeze({
        get item() { return itemAt('input', group, '', call.itemIndex) ?? ObjectFreeze({ json: call.json }); },
        all: () => allItems('input', group, ''),
        first: () => itemAt('input', group, '', 0),
        last: () => itemAt('input', group, '', -1),
      });
      call.inputAccessors[group] = input;
    }
    return input;
  }

  // ---- Values --------------------------------------------------------------------------

  function checkValue(value) {
    const type = typeof value;
    if (type === 'function') fail('result', 'the value is a function, not data; call it, e.g. write .toUpperCase() with the parentheses');
    if (type === 'symbol') fail('result', 'the value is a Symbol, which cannot be a parameter value');
    if (type === 'bigint') fail('result', 'the value is a BigInt, which JSON cannot hold; convert it with Number() or String()');
    if (value instanceof PromiseCtor) {
      // A rejection without a handler would make isolated-vm fail the whole call after it returns.
      try { ReflectApply(PromiseThen, value, [undefined, () => undefined]); } catch {}
      fail('result', 'the value is a Promise, but expressions run synchronously; remove async and await');
    }
  }

  /** Converts one value of a template to text: objects as JSON, undefined as nothing. */
  function toText(value) {
    if (typeof value === 'string') return value;
    if (value === undefined) return '';
    checkValue(value);
    if (typeof value !== 'object' || value === null) return StringCtor(value);
    if (value instanceof DateCtor) return value.getTime() === value.getTime() ? ReflectApply(DateToIsoString, value, []) : 'Invalid Date';
    const json = JsonStringify(value);
    return json === undefined ? '' : json;
  }

  /** Returns the JSON of a single expression's value, or undefined when the value is undefined. */
  function toJson(value) {
    if (value === undefined) return undefined;
    checkValue(value);
    return JsonStringify(value);
  }

  function describeThrown(thrown) {
    const failure = failureReasons.get(thrown);
    if (failure !== undefined) return [failure[0], failure[1], thrown.message];

    try {
      if (thrown instanceof ErrorCtor) return ['runtime', StringCtor(thrown.name), truncate(StringCtor(thrown.message))];
      const text = typeof thrown === 'string' ? JsonStringify(thrown) : StringCtor(thrown);
      return ['runtime', '', truncate('the expression threw ' + text)];
    } catch {
      return ['runtime', '', 'the expression threw a value that cannot be shown as text'];
    }
  }

  function compile(source) {
    try {
      return ReflectApply(FunctionCtor, undefined, [...PARAMETERS, ${JSON.stringify(EXPRESSION_BODY_PREFIX)} + source + ${JSON.stringify(EXPRESSION_BODY_SUFFIX)}]);
    } catch (error) {
      const [, errorName, message] = describeThrown(error);
      return { errorName, message };
    }
  }

  function run(id, scope) {
    const expression = compiled.get(id);
    if (typeof expression === 'function') return ReflectApply(expression, undefined, scope);

    if (expression === undefined) fail('runtime', 'internal error: expression ' + id + ' is not compiled in this sandbox');
    fail('syntax', expression.message, expression.errorName);
  }

  // ---- Evaluation ----------------------------------------------------------------------

  function evaluate(requestJson) {
    AtomicsStore(progress, 0, PHASE_SETUP);
    AtomicsStore(progress, 1, 0);
    const request = JsonParse(requestJson);

    for (const id of request.evict) compiled.delete(id);
    for (const [id, source] of request.compile) compiled.set(id, compile(source));

    const contexts = request.contexts.map((context) => {
      freezeData(context);
      const today = typeof context.now === 'string' && /^\d{4}-\d{2}-\d{2}/.test(context.now) ? ReflectApply(StringSlice, context.now, [0, 10]) : undefined;
      return { vars: context.vars, run: context.run, now: context.now, today };
    });

    const sites = request.sites;
    let expressionsPerItem = 0;
    for (const site of sites) expressionsPerItem += typeof site === 'number' ? 1 : site.filter((part) => typeof part === 'number').length;

    call = { batch: request.batch, fetched: new Map(), inputAccessors: [], nodeHelpers: [], itemIndex: 0, json: undefined };
    const results = [];
    let responseChars = 0;
    let done = 0;

    try {
      AtomicsStore(progress, 0, PHASE_EVALUATING);
      for (let offset = 0; offset < request.items.length; offset++) {
        const result = evaluateItem(request.items[offset], contexts, sites, offset * expressionsPerItem);
        responseChars += result.length;
        if (responseChars > config.maxResponseChars && done > 0) break;
        results.push(result);
        done++;
      }
    } finally {
      call = null;
      AtomicsStore(progress, 0, PHASE_SETTLING);
    }

    return '{"done":' + done + ',"results":[' + results.join(',') + ']}';
  }

  function evaluateItem(item, contexts, sites, firstPosition) {
    const [contextIndex, inputGroup, nodesGroup, itemIndex, json] = item;
    const context = contexts[contextIndex];
    freezeData(json);
    call.itemIndex = itemIndex;
    call.json = json;

    const nodes = nodeHelpers(nodesGroup);
    const scope = [json, inputAccessor(inputGroup), itemIndex, nodes.proxy, nodes.selector, context.vars, context.run, context.now, context.today];
    const values = [];
    const undefinedSites = [];
    let position = firstPosition;
    let siteIndex = 0;
    let expressionNumber = 0;

    try {
      for (; siteIndex < sites.length; siteIndex++) {
        const site = sites[siteIndex];
        let valueJson;
        if (typeof site === 'number') {
          AtomicsStore(progress, 1, position++);
          valueJson = toJson(run(site, scope));
          expressionNumber++;
        } else {
          let text = '';
          for (const part of site) {
            if (typeof part === 'string') {
              text += part;
              continue;
            }
            AtomicsStore(progress, 1, position++);
            text += toText(run(part, scope));
            expressionNumber++;
          }
          valueJson = JsonStringify(text);
        }

        if (valueJson === undefined) {
          undefinedSites.push(siteIndex);
          valueJson = 'null';
        } else if (valueJson.length > config.maxResponseChars) {
          expressionNumber--;
          fail('result', 'the value is ' + valueJson.length + ' characters of JSON, more than the limit of ' + config.maxResponseChars);
        }
        values.push(valueJson);
      }
    } catch (thrown) {
      const [reason, errorName, message] = describeThrown(thrown);
      return JsonStringify([1, siteIndex, expressionNumber, reason, errorName, message]);
    }

    return '[0,[' + values.join(',') + '],' + JsonStringify(undefinedSites) + ']';
  }

  return evaluate;
})
`;
