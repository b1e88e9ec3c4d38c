import { parentPort } from 'node:worker_threads';
import { createPlugin } from '@extism/extism';
const x: number = 42;
parentPort!.postMessage({ x, t: typeof createPlugin });
