/**
 * Which procedure call's body is running in the current async context, so that a call made from
 * inside it (`createCaller(ctx).other()` in a procedure) is recognised as nested: the headers in
 * its `ctx` are the outer HTTP request's, never its own. AsyncLocalStorage follows each request's
 * own async chain: concurrent requests, and the calls of one batch, never see each other's entry;
 * copying or rebuilding `ctx` does not hide it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunContext } from '../core/run-context.js';

/**
 * The body of a keyed call, shared by the unkeyed calls nested in it (at any depth): they run as
 * part of it, writing through its `tx()`, so their writes commit or roll back with it.
 */
export interface KeyedBody {
  /**
   * The path of a nested call that got a client from `tx()` and threw: its writes cannot be rolled
   * back alone, so if the keyed call's procedure returns anyway (it caught the error), nothing of
   * it may commit.
   */
  failedCall?: string;
}

/** What the idempotency middleware saw of one call beyond its `next()` result. */
export interface CallTrace {
  /** The keyed body the call runs as, or as part of; unset while the call runs without a key. */
  body?: KeyedBody;
  /** The run context the call's procedure got, once handed on: a call nested in a keyed body writes through its `tx()`. */
  context?: RunContext;
  /** How many times a middleware after this one read the raw input through the `getRawInput` this one handed on (an input validator does, first thing). */
  rawInputReads: number;
  /**
   * The first read happened while this middleware was still handing the call on (inside the
   * synchronous part of its `next()`): no middleware after it awaited anything before the reader.
   */
  firstReadOnHandOver: boolean;
  /** A nested call (`createCaller` inside the body) passed through an idempotency middleware: the body ran. */
  nestedCallRan: boolean;
}

const runningCalls = new AsyncLocalStorage<CallTrace>();

/** The trace of the call whose body encloses the current code, or `undefined` at the top of a request. */
export function enclosingCall(): CallTrace | undefined {
  return runningCalls.getStore();
}

/** Runs `body` (the rest of the middleware chain) as the call traced by `trace`. */
export function runAsCall<T>(trace: CallTrace, body: () => T): T {
  return runningCalls.run(trace, body);
}

/**
 * The `signal` of every call this module's middlewares saw. tRPC's transports hand each call a
 * signal of its own (`resolveResponse`: one per call of a batch; the ws adapter: one per message),
 * so a signal seen twice was forwarded by code into `createCaller(ctx, { signal })`: that call is
 * not the transport's. Weak: nothing outlives the call.
 */
const seenSignals = new WeakSet<AbortSignal>();

/**
 * Whether tRPC called this procedure over a transport, so the request headers in its context are
 * its own: the HTTP handler (`resolveResponse`) and the ws adapter always pass a `signal` of the
 * call's own; `createCaller(ctx)` passes one only when given (`createCaller(ctx, { signal })`), and a
 * forwarded one was seen before. Records the signal.
 */
export function calledOverTransport(signal: AbortSignal | undefined): boolean {
  if (signal === undefined) return false;
  if (seenSignals.has(signal)) return false;
  seenSignals.add(signal);
  return true;
}
