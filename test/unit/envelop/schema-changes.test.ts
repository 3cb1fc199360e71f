/**
 * Attack: schema changes. A server that builds its schema per request or per tenant from a base
 * schema's config (`new GraphQLSchema(base.toConfig())` keeps the same type and field objects) hands
 * the plugin a new schema object whose root mutation fields are the *same* field objects. The plugin
 * wraps root mutation resolvers in place, once per schema object.
 */
import { envelop, useEngine, useSchemaByContext } from '@envelop/core';
import { execute, GraphQLSchema, parse, specifiedRules, subscribe, validate, type ExecutionResult } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createMemoryStore } from '../../../src/stores/memory.js';

describe('schemas rebuilt from one base config', () => {
  it('mutations keep working after many rebuilds (the root resolver is not wrapped again and again)', async () => {
    let runs = 0;
    const depths: number[] = [];
    let measure = true;
    const base = createSchema({
      typeDefs: 'type Query { ping: String } type Mutation { pay(amount: Int!, idempotencyKey: String): Int! }',
      resolvers: {
        Mutation: {
          pay: (_: unknown, { amount }: { amount: number }) => {
            runs++;
            if (!measure) return amount;
            const limit = Error.stackTraceLimit;
            Error.stackTraceLimit = Infinity;
            depths.push(new Error().stack!.split('\n').length); // how deep the resolver is called
            Error.stackTraceLimit = limit;
            return amount;
          },
        },
      },
    });
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, execute, subscribe, specifiedRules }),
        // e.g. a per-tenant view of the base schema, rebuilt per request
        useSchemaByContext(() => new GraphQLSchema(base.toConfig())),
        useIdempotency({ store: createMemoryStore(), scope: () => 'tenant-1' }),
      ],
    });
    const document = parse('mutation ($k: String) { pay(amount: 1, idempotencyKey: $k) }');
    const run = async (key?: string) => {
      const enveloped = getEnveloped({});
      const contextValue = await enveloped.contextFactory();
      return (await enveloped.execute({
        schema: enveloped.schema,
        document,
        variableValues: key ? { k: key } : {},
        contextValue,
      })) as ExecutionResult;
    };
    await run();
    measure = false;
    for (let i = 0; i < 500; i++) await run();
    measure = true;
    const keyed = await run('after-rebuilds');
    expect(keyed.errors).toBeUndefined();
    expect(keyed.data).toEqual({ pay: 1 });
    expect(runs).toBe(502);
    // Each rebuild wraps the shared field again: the call depth grows by three frames per rebuild,
    // until (about 12 000 rebuilds here) every mutation fails with "Maximum call stack size exceeded".
    expect(depths.at(-1)! - depths[0]!).toBeLessThan(20);
  });
});
