// Probe server: `mify start` as a library call. With PROBE_CACHE_WORKSPACE=1,
// UserService.findWorkspace returns results from an in-process cache, which
// this process patches in at run time without changing a kernel file.
// Prints the same "is running at" line as the kernel.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../lib/kernel.mjs';

const { loadConfig, createKernel, startServer } = await import(pathToFileURL(path.join(REPO_ROOT, 'kernel/dist/index.js')).href);
const kernel = await createKernel({ config: loadConfig(process.env) });

if (process.env.PROBE_CACHE_WORKSPACE === '1') {
  const userService = kernel.services.userService;
  const findWorkspace = userService.findWorkspace.bind(userService);
  const cache = new Map();
  userService.findWorkspace = async (idOrSlug) => {
    if (!cache.has(idOrSlug)) cache.set(idOrSlug, await findWorkspace(idOrSlug));
    return cache.get(idOrSlug);
  };
}

const running = await startServer(kernel);
console.log(`probe kernel is running at ${running.url}`);
process.once('SIGTERM', () => running.close().then(() => process.exit(0)));
