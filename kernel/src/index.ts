export { loadConfig, type KernelConfig } from './config.js';
export { createKernel, type Kernel } from './kernel.js';
export { startServer } from './server.js';
export { KERNEL_VERSION } from './version.js';
