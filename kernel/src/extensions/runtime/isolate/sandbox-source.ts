/**
 * Settings the kernel hands to the sandbox bootstrap of every isolate, as JSON.
 */
export interface SandboxConfig {
  extensionId: string;
  /** Script URL of the extension bundle. Stack frames outside it are dropped from errors. */
  bundleUrl: string;
  maxOutputChars: number;
  maxHostArgsChars: number;
  maxPendingHostCalls: number;
  maxLogCallsPerInvocation: number;
  maxLogLineChars: number;
  /** Dotted host method names that get a shortcut on `ctx.host`, e.g. `kv.get` → `ctx.host.kv.get(...)`. */
  hostMethods: readonly string[];
}

/** Script URL of the bootstrap, as it appears in stack traces inside the isolate. */
export const SANDBOX_BOOTSTRAP_URL = 'mify-sandbox:///bootstrap.js';

/**
 * One-letter tags that start every string crossing between the dispatcher and the kernel,
 * followed by JSON where the tag has a payload.
 */
export const Envelope = {
  /** `R<json>`: a JSON value. */
  result: 'R',
  /** `U`: undefined, e.g. a hook that returns nothing. */
  undefined: 'U',
  /** `E<json>`: an error `{ name, message, stack }` or, for host calls, `{ message, code }`. */
  error: 'E',
  /** `I<json>`: the result was not valid JSON output, and the payload is the reason. */
  invalidOutput: 'I',
  /** `N<json>`: the requested contribution does not exist, and the payload is the reason. */
  notFound: 'N',
} as const;

/**
 * Source of the bootstrap script that runs in each fresh context before the extension bundle.
 *
 * It evaluates to a setup function `(hostStart, configJson) => api`. `hostStart` is an
 * isolated-vm Callback in "ignored" mode that queues a host call in the kernel, and the result
 * comes back later through `api.settleHostCall`. The returned `api` contains the functions the
 * kernel calls: `install(namespace)`, `dispatch(kind, name, inputJson, callId)`,
 * `settleHostCall(requestId, payload)`, and the pair `start(kind, name, inputJson, callId)` and
 * `take(callId)`, which run an invocation synchronously on the kernel's thread (see
 * `SandboxIsolate.run`). `take` returns the outcome when the invocation already finished, and
 * otherwise undefined; the outcome then comes later as the host call
 * `hostStart(callId, FINISHED_REQUEST_ID, '', outcome)`.
 *
 * Invariants the kernel relies on:
 * - `hostStart` and the dispatcher state live only in this closure. The extension never gets
 *   a reference to them, only wrapper functions on frozen objects.
 * - Built-ins the size checks use are captured here, before any extension code runs, so an
 *   extension that replaces `JSON.stringify` or `String.prototype.slice` cannot skip the
 *   output and argument caps. Everything else an extension breaks in its own realm only
 *   breaks the extension.
 * - `SharedArrayBuffer`, `Atomics` and `WebAssembly` are removed, so no code can block on
 *   `Atomics.wait` or create shared or WebAssembly memory.
 *   `eval` and `Function` stay, because they compile code in the same isolate with no more
 *   power than the bundle has.
 *
 * The source is a plain string, not a stringified function, so no transpiler can add helper
 * calls that do not exist inside the isolate.
 */
/**
 * Request id with which the sandbox hands the kernel the outcome of an invocation it started
 * with `start`, when `take` found it unfinished. Real host calls count up from 1, and 0 marks a
 * log line.
 */
export const FINISHED_REQUEST_ID = -1;

/** Field of a node's input JSON that names the port whose array is `items` (see `withSharedItems` in isolate-runtime.ts). */
export const ITEMS_PORT_FIELD = 'itemsPort';

export const SANDBOX_BOOTSTRAP_SOURCE = String.raw`
(function createSandbox(hostStart, configJson) {
  'use strict';

  const global = globalThis;
  const JsonParse = JSON.parse;
  const JsonStringify = JSON.stringify;
  const ObjectFreeze = Object.freeze;
  const ObjectHasOwn = Object.hasOwn;
  const ArrayIsArray = Array.isArray;
  const ReflectApply = Reflect.apply;
  const StringCtor = String;
  const StringSlice = String.prototype.slice;
  const PromiseCtor = Promise;
  const PromiseThen = Promise.prototype.then;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;

  const config = JsonParse(configJson);
  const MAX_TEXT_CHARS = 4096;
  const ITEMS_PORT = ${JSON.stringify(ITEMS_PORT_FIELD)};
  const FINISHED_REQUEST_ID = ${JSON.stringify(FINISHED_REQUEST_ID)};
  const MAX_STACK_CHARS = 16384;

  delete global.SharedArrayBuffer;
  delete global.Atomics;
  delete global.WebAssembly;

  const KINDS = ObjectFreeze({
    __proto__: null,
    node: ObjectFreeze({ __proto__: null, section: 'nodes', method: 'execute', label: 'node' }),
    route: ObjectFreeze({ __proto__: null, section: 'routes', method: 'handle', label: 'route' }),
    trigger: ObjectFreeze({ __proto__: null, section: 'triggers', method: 'handle', label: 'trigger' }),
    importer: ObjectFreeze({ __proto__: null, section: 'importers', method: 'import', label: 'importer' }),
    exporter: ObjectFreeze({ __proto__: null, section: 'importers', method: 'export', label: 'exporter' }),
    provider: ObjectFreeze({ __proto__: null, section: 'providers', method: 'call', label: 'provider' }),
    hook: ObjectFreeze({ __proto__: null, section: 'hooks', method: null, label: 'hook' }),
  });

  let extension = null;
  let currentCallId = 0;
  let nextRequestId = 0;
  let pendingCount = 0;
  let pendingChars = 0;
  const pending = { __proto__: null };

  // Maximum length of text the bootstrap slices. Slicing flattens a rope string, and flattening
  // one of hundreds of MiB would overshoot the heap limit before V8 can stop it.
  const MAX_SLICEABLE_CHARS = 1024 * 1024;
  const OVERSIZE = ObjectFreeze({ __proto__: null });

  function truncate(text, maxChars) {
    if (text.length <= maxChars) return text;
    if (text.length > MAX_SLICEABLE_CHARS) return '(' + text.length + ' characters omitted)';
    return ReflectApply(StringSlice, text, [0, maxChars]) + '…';
  }

  // JSON.stringify that gives up once its running estimate of the output passes maxChars. The
  // replacer is called with every value after toJSON and before it is written, and it counts
  // strings at their full length, so a huge or repeated rope string is rejected before V8
  // flattens or copies it. Returns OVERSIZE when the estimate passes the cap; callers still
  // check the exact length of the result.
  function stringifyCapped(value, maxChars) {
    let budget = maxChars;
    const replacer = function (key, item) {
      budget -= key.length + (typeof item === 'string' ? item.length : 4) + 4;
      if (budget < 0) throw OVERSIZE;
      return item;
    };
    try {
      return JsonStringify(value, replacer);
    } catch (error) {
      if (error === OVERSIZE) return OVERSIZE;
      throw error;
    }
  }

  function safeString(value) {
    try {
      return truncate(StringCtor(value), MAX_TEXT_CHARS);
    } catch {
      return 'a value that cannot be converted to a string';
    }
  }

  function rejected(error) {
    return new PromiseCtor((resolve, reject) => { reject(error); });
  }

  function encodeError(error) {
    let name = 'Error';
    let message = '';
    let stack = '';
    let code = '';
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        const errorName = error.name;
        if (typeof errorName === 'string') name = truncate(errorName, 200);
        message = safeString(error.message);
        const errorStack = error.stack;
        if (typeof errorStack === 'string') stack = truncate(errorStack, MAX_STACK_CHARS);
        const errorCode = error.code;
        if (typeof errorCode === 'string') code = truncate(errorCode, 100);
      } else {
        name = 'Thrown value';
        message = safeString(error);
      }
    } catch {
      message = 'an error whose properties cannot be read';
    }
    return JsonStringify({ __proto__: null, name, message, stack, code });
  }

  function encodeValue(value) {
    if (value === undefined) return 'U';

    let json;
    try {
      json = stringifyCapped(value, config.maxOutputChars);
    } catch (error) {
      return 'I' + JsonStringify('is not JSON-serialisable (' + safeString(error && error.message) + ')');
    }
    if (json === OVERSIZE || (typeof json === 'string' && json.length > config.maxOutputChars)) {
      return 'I' + JsonStringify('is more than the limit of ' + config.maxOutputChars + ' characters of JSON');
    }
    if (typeof json !== 'string') {
      return 'I' + JsonStringify('is a ' + typeof value + ', which JSON cannot represent');
    }
    return 'R' + json;
  }

  // Awaited host calls whose arguments sit in the kernel until their result comes back. The
  // limits on their number and total size bound the kernel memory one isolate can fill.
  function callHost(callId, method, args) {
    if (callId === 0 || callId !== currentCallId) {
      return rejected(new ErrorCtor('Host call "' + safeString(method) + '" was made after its invocation finished; await every host call before returning.'));
    }
    if (typeof method !== 'string' || method.length === 0 || method.length > 200) {
      return rejected(new TypeErrorCtor('Host call method must be a non-empty string of at most 200 characters, such as "kv.get".'));
    }
    if (args === undefined) args = [];
    if (!ArrayIsArray(args)) {
      return rejected(new TypeErrorCtor('Host call "' + method + '": arguments must be an array.'));
    }
    if (pendingCount >= config.maxPendingHostCalls) {
      return rejected(new RangeErrorCtor('Host call "' + method + '": more than ' + config.maxPendingHostCalls + ' host calls are in flight; await some before starting more.'));
    }

    const budget = config.maxHostArgsChars - pendingChars;
    let argsJson;
    try {
      argsJson = stringifyCapped(args, budget);
    } catch (error) {
      return rejected(new TypeErrorCtor('Host call "' + method + '": arguments are not JSON-serialisable (' + safeString(error && error.message) + ').'));
    }
    if (typeof argsJson !== 'string' || argsJson.length > budget) {
      return rejected(new RangeErrorCtor('Host call "' + method + '": arguments of the host calls in flight would exceed ' +
        config.maxHostArgsChars + ' characters of JSON; send less data per call or await earlier calls first.'));
    }

    return new PromiseCtor((resolve, reject) => {
      const id = ++nextRequestId;
      pending[id] = { __proto__: null, callId, chars: argsJson.length, resolve, reject };
      pendingCount++;
      pendingChars += argsJson.length;
      hostStart(callId, id, method, argsJson);
    });
  }

  function removePending(id) {
    const entry = pending[id];
    delete pending[id];
    pendingCount--;
    pendingChars -= entry.chars;
    return entry;
  }

  function settleHostCall(requestId, payload) {
    if (pending[requestId] === undefined) return;
    const entry = removePending(requestId);
    if (entry.callId !== currentCallId) return;

    const tag = payload[0];
    const body = ReflectApply(StringSlice, payload, [1]);
    if (tag === 'R') {
      entry.resolve(JsonParse(body));
    } else if (tag === 'U') {
      entry.resolve(undefined);
    } else {
      const info = JsonParse(body);
      const error = new ErrorCtor(typeof info.message === 'string' ? info.message : 'Host call failed.');
      error.name = 'HostCallError';
      if (typeof info.code === 'string') error.code = info.code;
      entry.reject(error);
    }
  }

  function dropPending(callId) {
    for (const id in pending) {
      if (pending[id].callId === callId) removePending(id);
    }
  }

  function formatLogArgs(args) {
    let text = '';
    for (let index = 0; index < args.length; index++) {
      const arg = args[index];
      let part;
      if (typeof arg === 'string') {
        part = arg;
      } else {
        try {
          part = stringifyCapped(arg, MAX_TEXT_CHARS);
        } catch {
          part = undefined;
        }
        if (part === OVERSIZE) part = '(value longer than ' + MAX_TEXT_CHARS + ' characters omitted)';
        if (typeof part !== 'string') part = safeString(arg);
      }
      text += (index === 0 ? '' : ' ') + part;
    }
    return truncate(text, MAX_TEXT_CHARS);
  }

  const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];
  const logCounts = { __proto__: null };

  // Log lines are not awaited, so each one is capped on its own: at most
  // maxLogCallsPerInvocation lines of at most maxLogLineChars characters reach the kernel.
  function sendLog(callId, level, message, fields) {
    if (callId === 0 || callId !== currentCallId) return;
    const count = (logCounts[callId] || 0) + 1;
    logCounts[callId] = count;
    if (count > config.maxLogCallsPerInvocation) return;
    if (count === config.maxLogCallsPerInvocation) {
      level = 'warn';
      message = 'log limit of ' + config.maxLogCallsPerInvocation + ' lines per invocation reached; later lines are dropped';
      fields = undefined;
    }

    const text = safeString(message);
    let argsJson;
    try {
      argsJson = stringifyCapped(fields === undefined ? [text] : [text, fields], config.maxLogLineChars);
    } catch {
      argsJson = OVERSIZE;
    }
    if (argsJson === OVERSIZE || typeof argsJson !== 'string') {
      argsJson = JsonStringify([text, { omitted: 'fields were not JSON or longer than ' + config.maxLogLineChars + ' characters' }]);
    }
    hostStart(callId, 0, 'log.' + level, argsJson);
  }

  function createLog(callId) {
    const log = { __proto__: null };
    for (let index = 0; index < LOG_LEVELS.length; index++) {
      const level = LOG_LEVELS[index];
      log[level] = (message, fields) => { sendLog(callId, level, message, fields); };
    }
    return ObjectFreeze(log);
  }

  // Method shortcuts grouped by namespace, e.g. { kv: ['get', 'set'] }, built once per isolate.
  const hostNamespaces = { __proto__: null };
  for (let index = 0; index < config.hostMethods.length; index++) {
    const method = config.hostMethods[index];
    const dot = method.indexOf('.');
    if (dot <= 0 || dot === method.length - 1) continue;
    const namespace = ReflectApply(StringSlice, method, [0, dot]);
    const member = ReflectApply(StringSlice, method, [dot + 1]);
    if (namespace === 'call') continue;
    (hostNamespaces[namespace] || (hostNamespaces[namespace] = [])).push(member);
  }

  function createHost(callId) {
    const call = (method, args) => callHost(callId, method, args);
    const host = { call };
    for (const namespace in hostNamespaces) {
      const members = hostNamespaces[namespace];
      const shortcuts = {};
      for (let index = 0; index < members.length; index++) {
        const method = namespace + '.' + members[index];
        shortcuts[members[index]] = (...args) => callHost(callId, method, args);
      }
      host[namespace] = ObjectFreeze(shortcuts);
    }
    return ObjectFreeze(host);
  }

  // console forwards to the log of whichever invocation is running.
  const consoleLevels = { __proto__: null, debug: 'debug', trace: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' };
  const sandboxConsole = {};
  for (const method in consoleLevels) {
    const level = consoleLevels[method];
    sandboxConsole[method] = (...args) => { sendLog(currentCallId, level, formatLogArgs(args), undefined); };
  }
  global.console = ObjectFreeze(sandboxConsole);

  function resolveTarget(kind, name) {
    const spec = KINDS[kind];
    if (spec === undefined) return 'has no contribution kind "' + safeString(kind) + '"';

    const section = ObjectHasOwn(extension, spec.section) ? extension[spec.section] : undefined;
    if (section === null || (typeof section !== 'object' && typeof section !== 'function')) {
      return 'contributes no ' + spec.section + ' (looked for ' + spec.label + ' "' + name + '")';
    }
    if (!ObjectHasOwn(section, name)) {
      return 'has no ' + spec.label + ' named "' + name + '" in its ' + spec.section;
    }

    const entry = section[name];
    if (spec.method === null) {
      if (typeof entry !== 'function') return spec.label + ' "' + name + '" is not a function';
      return { __proto__: null, fn: entry, receiver: section };
    }
    const fn = entry !== null && (typeof entry === 'object' || typeof entry === 'function') ? entry[spec.method] : undefined;
    if (typeof fn !== 'function') return spec.label + ' "' + name + '" has no ' + spec.method + '() function';
    return { __proto__: null, fn, receiver: entry };
  }

  async function runContribution(kind, name, inputJson, callId) {
    let target;
    try {
      target = resolveTarget(kind, name);
    } catch (error) {
      return 'E' + encodeError(error);
    }
    if (typeof target === 'string') return 'N' + JsonStringify(target);

    const input = inputJson === undefined ? undefined : JsonParse(inputJson);
    // The kernel sends a node's items once, inside ports, and names their port here.
    if (kind === 'node' && input !== null && typeof input === 'object' && ObjectHasOwn(input, ITEMS_PORT)) {
      const ports = input.ports;
      const port = input[ITEMS_PORT];
      input.items = ports !== null && typeof ports === 'object' && ObjectHasOwn(ports, port) && ArrayIsArray(ports[port]) ? ports[port] : [];
      delete input[ITEMS_PORT];
    }
    // Nodes see the node and run they execute in, routes the caller; both arrive in the input.
    const carried = input !== null && typeof input === 'object' ? input : {};
    // host and log are built on first use: most nodes use neither, and building both takes
    // about as long as a small node's own work.
    let host;
    let log;
    const ctx = ObjectFreeze({
      extensionId: config.extensionId,
      kind,
      name,
      get host() { return host || (host = createHost(callId)); },
      get log() { return log || (log = createLog(callId)); },
      node: kind === 'node' ? carried.node : undefined,
      run: kind === 'node' ? carried.run : undefined,
      workspaceId: kind === 'route' ? (carried.caller && carried.caller.workspaceId) || null : undefined,
      userId: kind === 'route' ? (carried.caller && carried.caller.userId) || null : undefined,
      requestId: kind === 'route' ? (carried.caller && carried.caller.requestId) || null : undefined,
    });

    let value;
    try {
      value = await ReflectApply(target.fn, target.receiver, [ctx, input]);
    } catch (error) {
      return 'E' + encodeError(error);
    }
    return encodeValue(value);
  }

  async function dispatch(kind, name, inputJson, callId) {
    currentCallId = callId;
    try {
      return await runContribution(kind, name, inputJson, callId);
    } finally {
      currentCallId = 0;
      delete logCounts[callId];
      if (pendingCount > 0) dropPending(callId);
    }
  }

  // The invocation started with start(): its call id, its outcome if it finished before the
  // kernel took it, and whether the kernel waits to be notified of the outcome.
  let startedCallId = 0;
  let startedOutcome;
  let kernelWaits = false;

  function start(kind, name, inputJson, callId) {
    startedCallId = callId;
    startedOutcome = undefined;
    kernelWaits = false;
    const finish = (outcome) => {
      if (startedCallId !== callId) return;
      if (!kernelWaits) {
        startedOutcome = outcome;
        return;
      }
      startedCallId = 0;
      hostStart(callId, FINISHED_REQUEST_ID, '', outcome);
    };
    ReflectApply(PromiseThen, dispatch(kind, name, inputJson, callId), [finish, (error) => finish('E' + encodeError(error))]);
  }

  function take(callId) {
    if (startedCallId !== callId) return undefined;
    if (startedOutcome === undefined) {
      kernelWaits = true;
      return undefined;
    }
    const outcome = startedOutcome;
    startedCallId = 0;
    startedOutcome = undefined;
    return outcome;
  }

  function install(namespace) {
    const exported = namespace.default;
    if (exported === null || typeof exported !== 'object') {
      return 'the default export of the bundle is ' + (exported === null ? 'null' : typeof exported) +
        ', expected the object returned by defineExtension({...})';
    }
    extension = exported;
    return '';
  }

  return ObjectFreeze({ __proto__: null, install, dispatch, settleHostCall, start, take });
})
`;
