import type { PoolClient } from 'pg';

/** What pg's `query` may be handed first: a text, a query config, or a Submittable (pg-cursor, pg-query-stream). */
interface QueryConfigLike {
  callback?: unknown;
  submit?: unknown;
  handleError?: (error: Error, connection: unknown) => void;
}

type Callback = (error: Error) => void;

/**
 * The transaction's connection as the body sees it. `query`, in every form pg takes (a promise, a
 * callback, a Submittable such as pg-cursor or pg-query-stream), is refused with the error
 * `refusal()` gives once it gives one, exactly as pg refuses a query on a closed client: the promise
 * rejects, the callback gets the error, the Submittable's `handleError` gets it. `release()` does
 * nothing: the store ends the transaction and gives the connection back itself. So a statement the
 * body sends after its attempt ended never runs on a connection the pool lent to someone else, and
 * no one else gets the connection while the attempt's transaction is open. Everything else reads
 * through to the client (methods run with the guard as `this`, so they query through it too).
 */
export function guardedClient(client: PoolClient, refusal: () => Error | undefined): PoolClient {
  const query = (...args: unknown[]): unknown => {
    const error = refusal();
    if (!error) return (client.query as (...given: unknown[]) => unknown).apply(client, args);
    return refuse(error, args, client);
  };
  const release = () => {};
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query') return query;
      if (property === 'release') return release;
      return Reflect.get(target, property, receiver) as unknown;
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
