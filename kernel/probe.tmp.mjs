import { readFileSync, writeFileSync } from 'node:fs';
import { createIsolateRuntime } from './dist/extensions/runtime/isolate/index.js';
import pino from 'pino';
const inputs = JSON.parse(readFileSync('/tmp/inputs.json', 'utf8'));
const ext = process.argv[2] ?? 'data'; const name = process.argv[3] ?? 'mify.data.edit-fields';
const code = readFileSync(`../extensions/${ext}/dist/index.js`, 'utf8');
const manifest = JSON.parse(readFileSync(`../extensions/${ext}/mify.extension.json`, 'utf8'));
const { HOST_METHOD_NAMES } = await import('./dist/extensions/host-api/bridge.js'); console.log('host methods', HOST_METHOD_NAMES.length);
const runtime = await createIsolateRuntime({ hostMethods: process.env.ALLM ? HOST_METHOD_NAMES : undefined, extensionId: manifest.id, code, limits: { memoryLimitMb: Number(process.env.MEM ?? 64), timeoutMs: 10000 }, logger: pino({ level: 'warn' }), poolSize: 1 });
const input = JSON.parse(inputs[name]);
if (input.itemsPort) { input.items = input.ports[input.itemsPort]; delete input.itemsPort; }
const host = { call: async (m, a) => { throw new Error('no host ' + m); } };
const kind = name.includes(' ') ? 'route' : 'node';
console.log(JSON.stringify(await runtime.invoke({ kind, name, input }, host)).slice(0, 200));
for (let i = 0; i < 3000; i++) await runtime.invoke({ kind, name, input }, host);
const t0 = performance.now(); const N = 5000;
for (let i = 0; i < N; i++) await runtime.invoke({ kind, name, input }, host);
console.log(name, ((performance.now() - t0) * 1000 / N).toFixed(1), 'µs per invoke');
await runtime.dispose();
