import { createEngine, type IdempotencyEngine } from './core/engine.js';
import type { IdempotencyOptions } from './core/options.js';
import { createMemoryStore } from './stores/memory.js';

/**
 * Creates the idempotency engine, for a transport no adapter covers (see docs/core-api.md), on
 * `options.store`, or on a new in-memory store (`createMemoryStore()`) when none is given. Every
 * adapter builds its engine with it, so each gets the memory store by default.
 */
export function createIdempotencyEngine(options: IdempotencyOptions = {}): IdempotencyEngine {
  return createEngine({ ...options, store: options.store ?? createMemoryStore() });
}
