export { loadConfig, type KernelConfig } from './config.js';
export { createKernel, type Kernel } from './kernel.js';
export { startServer } from './server.js';
export { KERNEL_VERSION } from './version.js';
export { createLogger, type Logger } from './logger.js';
export { openDatabase, type Database, type SqlExecutor } from './storage/database.js';
