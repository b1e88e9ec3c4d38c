import { readFileSync } from 'node:fs';
import { createIsolateRuntime } from './dist/extensions/runtime/isolate/index.js';
import pino from 'pino';
const inputs = JSON.parse(readFileSync('/tmp/inputs.json', 'utf8'));
const { HOST_METHOD_NAMES } = await import('./dist/extensions/host-api/bridge.js');
async function rt(ext) {
  const code = readFileSync(`../extensions/${ext}/dist/index.js`, 'utf8');
  const manifest = JSON.parse(readFileSync(`../extensions/${ext}/mify.extension.json`, 'utf8'));
  return createIsolateRuntime({ extensionId: manifest.id, code, limits: manifest.limits, hostMethods: HOST_METHOD_NAMES, logger: pino({ level: 'warn' }), poolSize: Number(process.env.POOL ?? 2), kernelThreadSliceMs: Number(process.env.SLICE ?? 20) });
}
const io = await rt('io'), data = await rt('data');
const calls = [[io, 'mify.io.webhook'], [data, 'mify.data.edit-fields'], [io, 'mify.io.respond-to-webhook']].map(([r, name]) => { const input = JSON.parse(inputs[name]); input.items = input.ports[input.itemsPort]; delete input.itemsPort; return [r, name, input]; });
const host = { call: async (m) => { throw new Error('no host ' + m); } };
const only = process.env.ONLY;
async function round() { for (const [r, name, input] of calls) if (!only || name === only) await r.invoke({ kind: 'node', name, input }, host); }
for (let i = 0; i < 2000; i++) await round();
const N = 4000; const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) await round();
const cpu = process.cpuUsage(c0);
console.log(only ?? 'all three', ((performance.now() - t0) * 1000 / N).toFixed(1), 'µs per round wall', ((cpu.user + cpu.system) / N).toFixed(1), 'µs cpu');
if (process.env.ISOPROF) { const { writeFileSync } = await import('node:fs'); let i = 0; for (const iso of globalThis.__isos) writeFileSync(`/tmp/isoprof2-${i++}.json`, JSON.stringify(await iso.stopCpuProfiler('p'))); }
