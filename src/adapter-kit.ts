/**
 * `idempotent-mutations/adapter-kit`: what a server adapter needs besides the public API, for
 * writing an adapter for another server (docs/core-api.md, "Writing an adapter"). An adapter reads
 * the key from its transport, resolves the scope, asks the engine to `begin`, runs the body between
 * its server's hooks, ends the attempt with `finish` or `abandon`, and maps the typed errors to its
 * transport. All idempotency logic stays in the engine.
 */
export { createEngine, type EngineOptions } from './core/engine.js';
export { firstEnding } from './core/attempt.js';
export { keepsRecord, RETURNED, TRANSIENT_STATUSES } from './core/policy.js';
export { validateOptions } from './core/options.js';
export { assertScopeOption, resolveScope, scopeId } from './core/scope.js';
export { parseKeyHeader, resolveKey, validateKey } from './core/key.js';
export { fingerprint, recordId } from './core/hashing.js';
export { recordedRunContext, unkeyedRunContext } from './core/run-context.js';
export { distinctHeaderValues } from './core/node-headers.js';
export { fromPortableError, toPortableError, type PortableError } from './core/portable-error.js';
