import type { Agent } from 'node:http';
import fc from 'fast-check';
import { CHARGE_MUTATION, REPORT_MUTATION } from './clients.js';
import { readGraphQL, readTrpc, type Outcome } from './outcomes.js';
import { rawPost } from './raw-http.js';
import type { RunningApp } from './app.js';

/** One adapter of one in-process app, driven with raw HTTP requests; `headers` are raw pairs (`x-user` sets the scope). */
export interface Target {
  name: string;
  /** How fast-check prints the target in a counterexample. */
  [fc.toStringMethod]: () => string;
  maxKeyLength: number;
  /** Sends a charge. `memoJson` is spliced in as raw JSON text (so it can be nested deeper than JSON.stringify allows). */
  charge(
    fields: { amount: number; idempotencyKey?: unknown },
    headers: readonly string[],
    memoJson?: string,
  ): Promise<Outcome>;
  /** Sends a report of `bytes` characters. */
  report(bytes: number, headers: readonly string[]): Promise<Outcome>;
  /** Sends any body text to the charge endpoint. */
  raw(body: string, headers: readonly string[]): Promise<Outcome>;
}

/** JSON text of `fields`, with `memo` appended as raw JSON text when given. */
function withMemo(fields: object, memoJson: string | undefined): string {
  const json = JSON.stringify(fields);
  return memoJson === undefined ? json : `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"memo":${memoJson}}`;
}

/** The GraphQL Yoga endpoint of `app`. */
export function graphqlTarget(name: string, app: RunningApp, agent: Agent, maxKeyLength: number): Target {
  const base = ['Content-Type', 'application/json', 'Accept', 'application/graphql-response+json'];
  const post = async (body: string, headers: readonly string[]) =>
    readGraphQL(await rawPost(agent, app.graphqlUrl, [...base, ...headers], body));
  return {
    name,
    [fc.toStringMethod]: () => name,
    maxKeyLength,
    charge: (fields, headers, memoJson) =>
      post(`{"query":${JSON.stringify(CHARGE_MUTATION)},"variables":${withMemo(fields, memoJson)}}`, headers),
    report: (bytes, headers) => post(JSON.stringify({ query: REPORT_MUTATION, variables: { bytes } }), headers),
    raw: post,
  };
}

/** The tRPC endpoint of `app` (superjson wire format). */
export function trpcTarget(name: string, app: RunningApp, agent: Agent, maxKeyLength: number): Target {
  const base = ['Content-Type', 'application/json'];
  const post = async (path: string, body: string, headers: readonly string[]) =>
    readTrpc(await rawPost(agent, `${app.trpcUrl}/${path}`, [...base, ...headers], body));
  return {
    name,
    [fc.toStringMethod]: () => name,
    maxKeyLength,
    charge: (fields, headers, memoJson) => post('charge', `{"json":${withMemo(fields, memoJson)}}`, headers),
    report: (bytes, headers) => post('report', JSON.stringify({ json: { bytes } }), headers),
    raw: (body, headers) => post('charge', body, headers),
  };
}
