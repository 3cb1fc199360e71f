import type { PoolClient } from 'pg';

/** What pg's `query` may be handed first: a text, a query config, or a Submittable (pg-cursor, pg-query-stream). */
interface QueryConfigLike {
  callback?: unknown;
  submit?: unknown;
  handleError?: (error: Error, connection: unknown) => void;
}

type Callback = (error: Error) => void;

/** The client's EventEmitter state, which `on`, `once` and `removeListener` read and write through the guard. */
const EMITTER_STATE = new Set<string | symbol>(['_events', '_eventsCount', '_maxListeners']);

/** pg's internals without a `_` (older pg 8 releases name the queue and the running query so). */
const INTERNALS = new Set<string | symbol>(['connection', 'queryQueue', 'activeQuery']);

/**
 * pg's internals, out of the body's reach: its wire `connection`, its queue, and every `_`-prefixed
 * member of the client (`_queryQueue`, `_activeQuery`, `_pulseQueryQueue`, `_queryable`, `_Promise`,
 * …) but the EventEmitter's, through which pg's own methods (`Client.prototype.query` run with the
 * guard as `this`) would reach the connection without asking the guard.
 */
function isInternal(property: string | symbol): boolean {
  return (
    INTERNALS.has(property) ||
    (typeof property === 'string' && property.startsWith('_') && !EMITTER_STATE.has(property))
  );
}

/** What reading pg's internals, or writing to the client, through the guard throws. */
function refusedAccess(property: string | symbol, write: boolean): TypeError {
  const what = write
    ? `"${String(property)}" cannot be set on`
    : `pg's internal "${String(property)}" cannot be read through`;
  return new TypeError(
    `${what} the client of ctx.idempotency.tx(): it is a guard over the transaction's connection, and its statements go through query() only, so none runs outside the attempt's transaction. Use query() and pg's public API.`,
  );
}

/**
 * The transaction's connection as the body sees it. `query`, in every form pg takes (a promise, a
 * callback, a Submittable such as pg-cursor or pg-query-stream), is refused with the error
 * `refusal()` gives once it gives one, exactly as pg refuses a query on a closed client: the promise
 * rejects, the callback gets the error, the Submittable's `handleError` gets it. `release()` does
 * nothing: the store ends the transaction and gives the connection back itself. So a statement the
 * body sends after its attempt ended never runs on a connection the pool lent to someone else, and
 * no one else gets the connection while the attempt's transaction is open.
 *
 * It is a facade, not the client: its prototype holds only the guarded `query` and `release` (so
 * `Object.getPrototypeOf(tx).query` is guarded too), pg's internals (`connection`, `_queryQueue`,
 * `_pulseQueryQueue`, …) throw a `TypeError` when read through it (so pg's own
 * `Client.prototype.query.call(tx, …)` throws before it reaches the connection), and so does a write
 * to it, but to the EventEmitter's state (`on`, `once`). Everything else reads through to the client
 * (methods run with the facade as `this`, so they query through it too).
 */
export function guardedClient(client: PoolClient, refusal: () => Error | undefined): PoolClient {
  const query = (...args: unknown[]): unknown => {
    const error = refusal();
    if (!error) return (client.query as (...given: unknown[]) => unknown).apply(client, args);
    return refuse(error, args, client);
  };
  const release = () => {};
  const front = Object.create(
    Object.create(Object.prototype, { query: { value: query }, release: { value: release } }),
  );
  return new Proxy(front as PoolClient, {
    get(_, property, receiver) {
      if (property === 'query') return query;
      if (property === 'release') return release;
      if (isInternal(property)) throw refusedAccess(property, false);
      return Reflect.get(client, property, receiver) as unknown;
    },
    has: (_, property) =>
      property === 'query' || property === 'release' || (!isInternal(property) && property in client),
    set(_, property, value) {
      if (typeof property === 'symbol' || EMITTER_STATE.has(property)) return Reflect.set(client, property, value);
      throw refusedAccess(property, true);
    },
    defineProperty(_, property) {
      throw refusedAccess(property, true);
    },
  });
}

/** pg's own answer to a query it will not run, in the form the call asked for. */
function refuse(error: Error, [config, values, callback]: unknown[], client: PoolClient): unknown {
  const given = (typeof config === 'object' && config !== null ? config : {}) as QueryConfigLike;
  if (typeof given.submit === 'function') {
    if (!given.callback) {
      if (typeof values === 'function') given.callback = values;
      else if (typeof callback === 'function') given.callback = callback;
    }
    process.nextTick(() => given.handleError?.(error, (client as { connection?: unknown }).connection));
    return config;
  }
  const answer = [values, callback, given.callback].find((each) => typeof each === 'function') as Callback | undefined;
  if (!answer) return Promise.reject(error);
  process.nextTick(() => answer(error));
  return undefined;
}
