/**
 * Worker-thread entry that runs one extension's Extism plugin. The main thread
 * (`plugin-worker.ts`) owns this thread: it sends `instantiate` and `invoke`
 * messages, services host calls and terminates the thread when a call times out.
 *
 * This file is loaded as ES module from `dist/` and as CommonJS through tsx
 * when the kernel runs from source, so it uses neither top-level await nor
 * `import.meta`.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { createPlugin, type CallContext, type ManifestWasmModule, type Plugin } from '@extism/extism';

import type {
  HostCallResponseMessage,
  MainToWorkerMessage,
  PluginLogLevel,
  WasmMemoryUsage,
  WorkerBootData,
  WorkerToMainMessage,
} from './protocol.js';
import { webAssembly, type WasmLinearMemory } from './webassembly-api.js';

/** Name the plugin's single module gets in the Extism manifest; calls address it directly. */
const MODULE_NAME = 'main';

/** Message prefix the Extism JS SDK 1.0.3 puts on errors a plugin reports through `error_set`. */
const PLUGIN_ERROR_PREFIX = 'Plugin-originated error: ';

/** Raised inside a host function when the guest allocates more host memory than allowed. */
class HostMemoryLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostMemoryLimitError';
  }
}

const boot = workerData as WorkerBootData;
const port = parentPort;
if (port === null) throw new Error('the WASM plugin worker must run in a worker thread');

const hostCallSignal = new Int32Array(boot.hostCallSignal);
const encoder = new TextEncoder();

let plugin: Plugin | null = null;
let linearMemory: WasmLinearMemory | null = null;
/** Set after a trap: the instance may be half-way through a change, so the next call gets a new one. */
let pluginNeedsRecreate = false;

let currentCallId: number | null = null;
let callsSinceReset = 0;
let hostBlockBytes = 0;

/**
 * Plugin variables, kept here instead of in Extism's call context because
 * `plugin.reset()` in SDK 1.0.3 drops the memory blocks that the context's
 * variables point to. They last as long as the plugin instance.
 */
const variables = new Map<string, Uint8Array>();
let variableBytes = 0;

let logLinesThisCall = 0;
let droppedLogLines = 0;
let lastErrorLog: string | null = null;

function send(message: WorkerToMainMessage): void {
  port!.postMessage(message);
}

function chargeHostMemory(bytes: number): void {
  hostBlockBytes += bytes;
  if (hostBlockBytes + variableBytes <= boot.hostMemoryLimitBytes) return;

  throw new HostMemoryLimitError(
    `allocated ${hostBlockBytes + variableBytes} bytes of Extism host memory, above its limit of ${boot.hostMemoryLimitBytes} bytes (limits.memoryLimitMb)`,
  );
}

function forwardLog(level: PluginLogLevel, message: string): void {
  if (level === 'error') lastErrorLog = message;

  if (logLinesThisCall >= boot.logLinesPerCall) {
    droppedLogLines += 1;
    return;
  }

  logLinesThisCall += 1;
  send({ type: 'log', level, message });
}

const extismLogger = {
  debug: (message: unknown) => forwardLog('debug', String(message)),
  info: (message: unknown) => forwardLog('info', String(message)),
  log: (message: unknown) => forwardLog('info', String(message)),
  warn: (message: unknown) => forwardLog('warn', String(message)),
  error: (message: unknown) => forwardLog('error', String(message)),
} as unknown as Console;

function storeBytes(context: CallContext, bytes: Uint8Array): bigint {
  chargeHostMemory(bytes.byteLength);
  return context.store(bytes);
}

/**
 * Sends one host call to the main thread and blocks this thread until the
 * response arrives, because Extism host functions must be synchronous. If the main thread terminates this worker meanwhile (the
 * call timed out), `Atomics.wait` is interrupted and nothing is left waiting.
 */
function callHost(request: string): string {
  Atomics.store(hostCallSignal, 0, 0);
  send({ type: 'host_call', callId: currentCallId ?? -1, request });

  for (;;) {
    Atomics.wait(hostCallSignal, 0, 0);

    const received = receiveMessageOnPort(boot.hostCallPort);
    if (received !== undefined) return (received.message as HostCallResponseMessage).response;

    // The signal is set only after the response is posted, so this is a short
    // race at most; sleep 1 ms instead of spinning.
    Atomics.wait(hostCallSignal, 0, 1, 1);
  }
}

const hostFunctions = {
  'extism:host/env': {
    alloc(context: CallContext, size: bigint): bigint {
      chargeHostMemory(Number(size));
      return context.alloc(size);
    },

    var_get(context: CallContext, keyAddress: bigint): bigint {
      const key = context.read(keyAddress)?.text();
      const value = key === undefined ? undefined : variables.get(key);
      if (value === undefined) return 0n;
      return storeBytes(context, value.slice());
    },

    var_set(context: CallContext, keyAddress: bigint, valueAddress: bigint): void {
      const key = context.read(keyAddress)?.text();
      if (key === undefined) return;

      const previous = variables.get(key);
      if (previous !== undefined) {
        variableBytes -= previous.byteLength;
        variables.delete(key);
      }
      if (valueAddress === 0n) return;

      const value = context.read(valueAddress)?.bytes().slice();
      if (value === undefined) return;

      variables.set(key, value);
      variableBytes += value.byteLength;
      chargeHostMemory(0);
    },
  },

  'extism:host/user': {
    mify_host_call(context: CallContext, requestAddress: bigint): bigint {
      const request = context.read(requestAddress);
      const response = request === null
        ? JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'mify_host_call: the request address does not point to a memory block' } })
        : callHost(request.text());
      return storeBytes(context, encoder.encode(response));
    },
  },
};

async function instantiate(): Promise<Plugin> {
  if (plugin !== null) await plugin.close();

  plugin = null;
  linearMemory = null;
  variables.clear();
  variableBytes = 0;
  callsSinceReset = 0;
  hostBlockBytes = 0;

  const created = await createPlugin(
    { wasm: [{ name: MODULE_NAME, module: boot.module as unknown as ManifestWasmModule['module'] }] },
    {
      useWasi: boot.useWasi,
      enableWasiOutput: false,
      allowedHosts: boot.allowedHosts,
      allowedPaths: boot.allowedPaths,
      functions: hostFunctions,
      logger: extismLogger,
      runInWorker: false,
    },
  );

  const instance = await created.getInstance(MODULE_NAME);
  const memory = instance.exports.memory;
  linearMemory = memory instanceof webAssembly.Memory ? memory : null;
  plugin = created;
  pluginNeedsRecreate = false;
  return created;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function describeTrap(error: unknown): string {
  const description = describeError(error);
  return lastErrorLog === null ? description : `${description} (last error log line of the plugin: ${lastErrorLog})`;
}

async function resetIfDue(): Promise<void> {
  callsSinceReset += 1;
  if (plugin === null || callsSinceReset < boot.resetEvery) return;

  if (await plugin.reset()) {
    callsSinceReset = 0;
    hostBlockBytes = 0;
  }
}

async function invoke(callId: number, exportName: string, input: string): Promise<void> {
  currentCallId = callId;
  logLinesThisCall = 0;
  droppedLogLines = 0;
  lastErrorLog = null;

  try {
    const active = plugin === null || pluginNeedsRecreate ? await instantiate() : plugin;
    chargeHostMemory(Buffer.byteLength(input));

    const output = await active.call([MODULE_NAME, exportName], input);
    send({ type: 'result', callId, output: output === null ? null : output.text() });
  } catch (error) {
    if (error instanceof HostMemoryLimitError) {
      pluginNeedsRecreate = true;
      send({ type: 'failed', callId, reason: 'memory', message: error.message });
    } else if (error instanceof Error && error.message.startsWith(PLUGIN_ERROR_PREFIX)) {
      send({ type: 'failed', callId, reason: 'threw', message: error.message.slice(PLUGIN_ERROR_PREFIX.length) });
    } else {
      pluginNeedsRecreate = true;
      send({ type: 'failed', callId, reason: 'threw', message: describeTrap(error) });
    }
  } finally {
    if (droppedLogLines > 0) {
      send({ type: 'log', level: 'warn', message: `dropped ${droppedLogLines} plugin log lines beyond the limit of ${boot.logLinesPerCall} per call` });
    }
    currentCallId = null;
  }

  if (!pluginNeedsRecreate) await resetIfDue();
}

function memoryUsage(): WasmMemoryUsage {
  const heap = getHeapStatistics();
  return {
    linearMemoryBytes: linearMemory?.buffer.byteLength ?? 0,
    hostBlockBytes,
    variableBytes,
    callsSinceReset,
    workerHeapUsedBytes: heap.used_heap_size,
    workerExternalBytes: heap.external_memory,
  };
}

async function handle(message: MainToWorkerMessage): Promise<void> {
  switch (message.type) {
    case 'instantiate':
      try {
        await instantiate();
        send({ type: 'instantiated' });
      } catch (error) {
        send({ type: 'instantiate_failed', message: describeTrap(error) });
      }
      return;
    case 'invoke':
      await invoke(message.callId, message.exportName, message.input);
      return;
    case 'memory_usage':
      send({ type: 'memory_usage', usage: memoryUsage() });
      return;
  }
}

// The main thread sends one request at a time and waits for the reply. The
// chain keeps the order even if it did not.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: MainToWorkerMessage) => {
  queue = queue.then(() => handle(message));
});

send({ type: 'booted' });
