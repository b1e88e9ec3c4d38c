export * from './permissions.js';
export * from './manifest.js';
export * from './validate-manifest.js';
export * from './engine.js';
