/**
 * The transport matrix: the same scenarios, with the same assertions, over every way a keyed mutation
 * reaches the library — GraphQL Yoga over HTTP (single, batched, SSE, @defer, the key in
 * `@idempotent(key:)`) and graphql-ws, Apollo Server 5 (standalone, Express 5, the key in
 * `@idempotent(key:)`), a plain envelop() executor without HTTP, tRPC over httpLink, httpBatchLink,
 * FormData and wsLink — with real servers, real clients and a real redis-server. Executions are
 * counted by the mutation body itself. The invariant checked in every cell: a keyed body runs at
 * most once, no caller receives another caller's result, no key stays locked once its holder is
 * gone. A report table is printed at the end.
 */
import fc from 'fast-check';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startApolloServer, type ApolloIntegration, type ApolloTestServer } from '../../support/adapters/apollo.js';
import { createEnvelopExecutor, envelopExecutor, type EnvelopExecutor } from '../../support/adapters/envelop.js';
import {
  graphqlHttp,
  startGraphQLServer,
  yogaBatch,
  yogaDefer,
  yogaDirective,
  yogaHttp,
  yogaSse,
  yogaWs,
  type GraphQLServer,
} from '../../support/adapters/graphql.js';
import { Ledger } from '../../support/adapters/ledger.js';
import { Report, summarize } from '../../support/adapters/report.js';
import {
  batchScenarios,
  commonScenarios,
  deferScenarios,
  formScenarios,
  interleaving,
  probeScenario,
  type Env,
  type Row,
  type Scenario,
  type Wave,
} from '../../support/adapters/scenarios.js';
import {
  startTrpcServer,
  trpcBatch,
  trpcFormData,
  trpcHttp,
  trpcWs,
  type TrpcServer,
} from '../../support/adapters/trpc.js';
import type { BatchSender, Transport } from '../../support/adapters/types.js';

const LEASE = 2_000;
const env: Env = { ledger: new Ledger(), lease: LEASE, margin: 1_000, concurrency: 20 };
const WAIT: ConcurrentPolicy = { wait: 10_000 };

interface Servers {
  graphql: Record<'reject' | 'wait', GraphQLServer>;
  trpc: Record<'reject' | 'wait', TrpcServer>;
  apollo: Record<ApolloIntegration, Record<'reject' | 'wait', ApolloTestServer>>;
  envelop: Record<'reject' | 'wait', EnvelopExecutor>;
}

interface RowSpec {
  name: string;
  scenarios: Scenario[];
  build(servers: Servers, name: string): Omit<Row, 'name' | 'probes'>;
}

const closers: (() => Promise<void>)[] = [];
/** Builds a transport for both servers of a kind (reject, wait) and registers its clients for closing. */
function both<S, T extends Transport & { close?: () => Promise<void> }>(
  make: (name: string, server: S) => T,
  name: string,
  pair: Record<'reject' | 'wait', S>,
) {
  const reject = make(name, pair.reject);
  const wait = make(name, pair.wait);
  for (const made of [reject, wait]) if (made.close) closers.push(made.close);
  return { reject, wait };
}

const sendsBatches = (transport: Transport): transport is Transport & BatchSender => 'sendBatch' in transport;

/**
 * A row: `make` reaches both servers `pick` chooses (a batching transport is the row's batch sender
 * too); `probe` is the transport scenario 6 sends its fresh requests through (defaults to the row's).
 */
function row<S, T extends Transport & { close?: () => Promise<void> }>(
  name: string,
  scenarios: Scenario[],
  pick: (servers: Servers) => Record<'reject' | 'wait', S>,
  make: (name: string, server: S) => T,
  probe?: (servers: Servers, name: string) => Row['probe'],
): RowSpec {
  return {
    name,
    scenarios,
    build: (servers, rowName) => {
      const t = both(make, rowName, pick(servers));
      return {
        transport: t.reject,
        waiting: t.wait,
        probe: probe?.(servers, rowName) ?? t,
        ...(sendsBatches(t.reject) && sendsBatches(t.wait) ? { batch: { reject: t.reject, wait: t.wait } } : {}),
      };
    },
  };
}

const graphql = (s: Servers) => s.graphql;
const trpc = (s: Servers) => s.trpc;
const apolloVia = (carrier: 'header' | 'directive') => (label: string, server: ApolloTestServer) =>
  graphqlHttp(label, server, carrier);

const ROWS: RowSpec[] = [
  row('GraphQL HTTP (fetch)', commonScenarios, graphql, yogaHttp),
  row('GraphQL HTTP batched', [...commonScenarios, ...batchScenarios], graphql, yogaBatch),
  row('GraphQL graphql-ws', commonScenarios, graphql, yogaWs),
  row('GraphQL SSE', commonScenarios, graphql, yogaSse),
  row('GraphQL @defer', deferScenarios, graphql, yogaDefer, (s, name) => both(yogaHttp, `${name} (plain)`, s.graphql)),
  row('GraphQL @idempotent', commonScenarios, graphql, yogaDirective),
  row('Apollo standalone', commonScenarios, (s) => s.apollo.standalone, apolloVia('header')),
  row('Apollo Express 5', commonScenarios, (s) => s.apollo.express, apolloVia('header')),
  row('Apollo @idempotent', commonScenarios, (s) => s.apollo.standalone, apolloVia('directive')),
  row('envelop() executor', commonScenarios, (s) => s.envelop, envelopExecutor),
  row('tRPC httpLink', commonScenarios, trpc, trpcHttp),
  row('tRPC httpBatchLink', [...commonScenarios, ...batchScenarios], trpc, trpcBatch),
  row('tRPC FormData', [...commonScenarios, ...formScenarios], trpc, trpcFormData),
  row('tRPC wsLink', commonScenarios, trpc, trpcWs),
];

/** Apollo Server 5 supports graphql 16 only: its rows are left out on graphql 17 (its plugin refuses to start there). */
const apolloSupported = graphqlMajor === 16;
const rowsRun = ROWS.filter((spec) => apolloSupported || !spec.name.startsWith('Apollo'));

const report = new Report();
const rows = new Map<string, Row>();
let servers: Servers | undefined;

beforeAll(async () => {
  const store = () => createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('transport-matrix') });
  const apollo = (integration: ApolloIntegration, concurrent: ConcurrentPolicy) =>
    apolloSupported
      ? startApolloServer({ ledger: env.ledger, store: store(), lease: LEASE, concurrent, integration })
      : (undefined as unknown as ApolloTestServer);
  const envelopOf = (concurrent: ConcurrentPolicy) =>
    createEnvelopExecutor({ ledger: env.ledger, store: store(), lease: LEASE, concurrent });
  const [
    graphqlReject,
    graphqlWait,
    trpcReject,
    trpcWait,
    standaloneReject,
    standaloneWait,
    expressReject,
    expressWait,
  ] = await Promise.all([
    startGraphQLServer({ ledger: env.ledger, store: store(), lease: LEASE, concurrent: 'reject' }),
    startGraphQLServer({ ledger: env.ledger, store: store(), lease: LEASE, concurrent: WAIT }),
    startTrpcServer({ ledger: env.ledger, store: store(), lease: LEASE, concurrent: 'reject' }),
    startTrpcServer({ ledger: env.ledger, store: store(), lease: LEASE, concurrent: WAIT }),
    apollo('standalone', 'reject'),
    apollo('standalone', WAIT),
    apollo('express', 'reject'),
    apollo('express', WAIT),
  ]);
  servers = {
    graphql: { reject: graphqlReject, wait: graphqlWait },
    trpc: { reject: trpcReject, wait: trpcWait },
    apollo: {
      standalone: { reject: standaloneReject, wait: standaloneWait },
      express: { reject: expressReject, wait: expressWait },
    },
    envelop: { reject: envelopOf('reject'), wait: envelopOf(WAIT) },
  };
  for (const spec of rowsRun) rows.set(spec.name, { name: spec.name, probes: [], ...spec.build(servers, spec.name) });
});

afterAll(async () => {
  console.log(report.format());
  await Promise.all(closers.splice(0).map((close) => close()));
  if (servers) {
    const apollo = Object.values(servers.apollo).flatMap((pair) => Object.values(pair).filter(Boolean));
    await Promise.all(
      [...Object.values(servers.graphql), ...Object.values(servers.trpc), ...apollo].map((server) => server.close()),
    );
  }
});

describe('transport matrix', () => {
  for (const spec of rowsRun) {
    describe(spec.name, () => {
      for (const scenario of [...spec.scenarios, probeScenario]) {
        it(`${scenario.id}: ${scenario.title}`, async () => {
          const cell = report.open(spec.name, scenario.id, scenario.title);
          try {
            await scenario.run(rows.get(spec.name)!, cell, env);
            cell.verdict = 'pass';
          } catch (error) {
            cell.verdict = 'FAIL';
            throw error;
          }
        });
      }
    });
  }
});

/** Per property: 12 random runs of concurrent waves; bounded generously so a busy 2-CPU machine slows it without failing it. */
const PROPERTY_TIMEOUT_MS = 300_000;
const INTERLEAVINGS = 'fast-check: random interleavings of concurrent sends, retries and dropped answers with one key';

describe(INTERLEAVINGS, { timeout: PROPERTY_TIMEOUT_MS }, () => {
  const wave: fc.Arbitrary<Wave> = fc.record({
    sends: fc.integer({ min: 1, max: 4 }),
    drop: fc.boolean(),
    pauseMs: fc.integer({ min: 0, max: 20 }),
  });
  const model = fc.record({
    waves: fc.array(wave, { minLength: 1, maxLength: 4 }),
    bodyMs: fc.integer({ min: 0, max: 30 }),
    waits: fc.boolean(),
  });

  for (const name of ['GraphQL HTTP (fetch)', 'Apollo standalone', 'envelop() executor', 'tRPC httpLink'].filter(
    (row) => apolloSupported || !row.startsWith('Apollo'),
  )) {
    it(`${name}: at most one execution, every successful answer identical, the key free afterwards`, async () => {
      const row = () => rows.get(name)!;
      const cell = report.open(
        name,
        'P',
        'fast-check: random waves of concurrent sends (some dropped by the client), random body time, reject or wait',
      );
      const seen: string[] = [];
      let runs = 0;
      try {
        await fc.assert(
          fc.asyncProperty(model, async ({ waves, bodyMs, waits }) => {
            const result = await interleaving(waits ? row().waiting : row().transport, env, waves, bodyMs, waits);
            seen.push(...result.seen);
            runs = Math.max(runs, result.runs);
            expect(result.problems).toEqual([]);
          }),
          { numRuns: 12, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
        );
        cell.verdict = 'pass';
      } catch (error) {
        cell.verdict = 'FAIL';
        throw error;
      } finally {
        cell.runs = `≤ ${runs} run per key`;
        cell.short = `≤${runs}/key`;
        cell.seen = [summarize(seen)];
      }
    });
  }
});
