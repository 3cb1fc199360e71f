/**
 * useIdempotency in a plain `envelop()` executor: no HTTP at all. The caller is in the context it
 * hands over, the key in the `idempotencyKey` argument; refusals are GraphQL errors with their codes
 * and no `extensions.http`. A "dropped" answer is a caller that stops waiting: the execution goes on.
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createSchema } from 'graphql-yoga';
import type { ConcurrentPolicy } from '../../../src/core/options.js';
import type { IdempotencyStore } from '../../../src/core/store.js';
import { useIdempotency, type GraphQLIdempotencyContext } from '../../../src/envelop/index.js';
import { answerWithoutHttp, argumentKeyed, paymentResolvers, typeDefs, type GraphQLBody } from './graphql.js';
import { observeStore, type Ledger } from './ledger.js';
import { lost, type Answer, type Call, type Transport } from './types.js';

interface Context {
  user?: string;
  idempotency?: GraphQLIdempotencyContext;
}

export interface EnvelopExecutorOptions {
  ledger: Ledger;
  store: IdempotencyStore;
  lease: number;
  concurrent: ConcurrentPolicy;
}

export interface EnvelopExecutor {
  /** Parses, validates and executes `query` with a context holding `user` (none for `''`), as an app without HTTP would. */
  run(query: string, variables: Record<string, unknown>, user: string): Promise<ExecutionResult>;
  answered(recordId: string): number;
}

export function createEnvelopExecutor({ ledger, store, lease, concurrent }: EnvelopExecutorOptions): EnvelopExecutor {
  const observed = observeStore(store);
  const schema = createSchema<Context>({
    typeDefs,
    resolvers: paymentResolvers<Context>(ledger, (context) => context.user),
  });
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(schema),
      useIdempotency<Context>({ store: observed.store, lease, concurrent, scope: (context) => context.user }),
    ],
  });
  return {
    answered: observed.answered,
    async run(query, variables, user) {
      const enveloped = getEnveloped<Context>(user === '' ? {} : { user });
      const document = enveloped.parse(query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return { errors };
      const args = {
        schema: enveloped.schema,
        document,
        variableValues: variables,
        contextValue: await enveloped.contextFactory(),
      } as ExecutionArgs;
      return (await enveloped.execute(args)) as ExecutionResult;
    },
  };
}

/** The envelop() row: the result as its caller would pass it on (JSON), read without HTTP. */
export function envelopExecutor(name: string, executor: EnvelopExecutor): Transport {
  return {
    name,
    marksReplay: true,
    typed: false,
    operation: (op) => op,
    answered: executor.answered,
    async send({ op, user, key, amount, signal }: Call) {
      const execution = executor.run(argumentKeyed(op), { amount, key }, user).then(
        (result) => answerWithoutHttp(op, JSON.parse(JSON.stringify(result)) as GraphQLBody),
        (error: unknown): Answer => ({
          kind: 'failed',
          label: `execute threw: ${error instanceof Error ? error.message : String(error)}`,
          problems: [],
        }),
      );
      if (!signal) return execution;
      const dropped = new Promise<Answer>((resolve) =>
        signal.addEventListener('abort', () => resolve(lost(new Error('aborted'))), { once: true }),
      );
      return Promise.race([execution, dropped]);
    },
  };
}
