export * from './core/index.js';
export { createMemoryStore, memoryStoreDefaults, type MemoryStoreOptions } from './stores/memory.js';
