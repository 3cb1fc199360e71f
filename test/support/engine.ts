import { setTimeout as sleep } from 'node:timers/promises';
import {
  createIdempotencyEngine,
  createMemoryStore,
  type IdempotencyEvent,
  type IdempotencyEventType,
  type IdempotencyOptions,
  type IdempotencyStore,
} from '../../src/index.js';
import { createRedisStore } from '../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from './redis/client.js';

/** The stores engine behaviour is checked on: the memory store and the Redis store on the run's redis-server. */
export function engineStores(label: string): Array<[string, () => IdempotencyStore]> {
  const redis = connectRedis();
  return [
    ['memory', () => createMemoryStore()],
    ['redis', () => createRedisStore({ redis, prefix: uniquePrefix(label) })],
  ];
}

/** An engine on `store` plus the events it emitted. */
export function setupEngine(store: IdempotencyStore, options: IdempotencyOptions = {}) {
  const events: IdempotencyEvent[] = [];
  const engine = createIdempotencyEngine({ store, onEvent: (event) => events.push(event), ...options });
  const types = () => events.map((event) => event.type);
  const count = (type: IdempotencyEventType) => events.filter((event) => event.type === type).length;
  return { engine, events, types, count };
}

/** A body that counts its executions. */
export function counter<T>(produce: () => T | Promise<T>) {
  const calls = { count: 0 };
  const run = async () => {
    calls.count++;
    return produce();
  };
  return { calls, run };
}

/** A promise with its resolve / reject exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls `condition` every 5 ms until it holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

type Method = 'begin' | 'extend' | 'complete' | 'release';

/** How the first calls of a method fail. */
export interface Faults {
  /** How many of the first calls fail; `Infinity` for every call. */
  times: number;
  /**
   * `'before'`: the call throws without reaching the store (a request that never arrived);
   * `'after'`: the store applies it, then the call throws (a reply that was lost). Defaults to `'before'`.
   */
  when?: 'before' | 'after';
}

/**
 * Wraps a store: counts and logs every call (in order, `!` marking one that failed), and makes the
 * first calls of the methods in `faults` throw, so a blip of the store can be staged.
 */
export function instrument(store: IdempotencyStore, faults: Partial<Record<Method, Faults>> = {}) {
  const calls: Record<Method, number> = { begin: 0, extend: 0, complete: 0, release: 0 };
  const failures: Record<Method, number> = { begin: 0, extend: 0, complete: 0, release: 0 };
  const log: string[] = [];
  function wrap<A, R>(method: Method, call: (request: A) => Promise<R>): (request: A) => Promise<R> {
    return async (request) => {
      calls[method]++;
      const fault = faults[method];
      const failing = fault !== undefined && failures[method] < fault.times;
      if (failing && fault.when !== 'after') {
        failures[method]++;
        log.push(`${method}!`);
        throw new Error(`${method}: store blip`);
      }
      const answer = await call(request);
      if (failing) {
        failures[method]++;
        log.push(`${method}!`);
        throw new Error(`${method}: reply lost`);
      }
      log.push(method);
      return answer;
    };
  }
  const wrapped: IdempotencyStore = {
    begin: wrap('begin', (request) => store.begin(request)),
    extend: wrap('extend', (request) => store.extend(request)),
    complete: wrap('complete', (request) => store.complete(request)),
    release: wrap('release', (request) => store.release(request)),
  };
  return { store: wrapped, calls, failures, log };
}
