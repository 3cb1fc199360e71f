/**
 * Which procedure call's body is running in the current async context, so that a call made from
 * inside it (`createCaller(ctx).other()` in a procedure) is recognised as nested: the headers in
 * its `ctx` are the outer HTTP request's, never its own. AsyncLocalStorage follows each request's
 * own async chain: concurrent requests, and the calls of one batch, never see each other's entry;
 * copying or rebuilding `ctx` does not hide it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallTrace } from './input-validation.js';

const runningCalls = new AsyncLocalStorage<CallTrace>();

/** The trace of the call whose body encloses the current code, or `undefined` at the top of a request. */
export function enclosingCall(): CallTrace | undefined {
  return runningCalls.getStore();
}

/** Runs `body` (the rest of the middleware chain) as the call traced by `trace`. */
export function runAsCall<T>(trace: CallTrace, body: () => T): T {
  return runningCalls.run(trace, body);
}
