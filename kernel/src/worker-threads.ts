import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) next to `callerUrl`, the
 * caller's `import.meta.url`. From `dist/` it runs `name.js` directly. From source (tests,
 * `tsx`), Node 20 cannot load a `.ts` file as a worker entry, and loader hooks do not reach
 * worker entries. So there a small CommonJS bootstrap loads it through tsx's `require` API
 * (tsx is a dev dependency of the kernel).
 */
export function spawnModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);

  const workerPath = fileURLToPath(new URL(`./${name}.ts`, callerUrl));
  const tsxRequireApi = createRequire(callerUrl).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsxRequireApi)}).require(${JSON.stringify(workerPath)}, ${JSON.stringify(workerPath)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
