import { GraphQLError, GraphQLScalarType } from 'graphql';
import type { YogaInitialContext } from 'graphql-yoga';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
import type { GraphQLIdempotencyContext } from '../../../../src/envelop/index.js';
import { createTestYoga } from '../yoga.js';
import { isReportSize, type Ledger } from './ledger.js';

type Context = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext };

const typeDefs = /* GraphQL */ `
  "Any JSON value, passed through as sent."
  scalar JSON
  type Query {
    ping: String!
  }
  type Charge {
    key: String
    amount: Int!
    fence: Int
    server: String!
    run: Int!
    chargedAt: String!
  }
  type Mutation {
    charge(amount: Int!, waitForGate: Boolean = false, memo: JSON, idempotencyKey: String): Charge!
    "A string of \`bytes\` characters: a result as large as a test needs."
    report(bytes: Int!): String!
  }
`;

const JSONScalar = new GraphQLScalarType({ name: 'JSON', parseValue: (value) => value, serialize: (value) => value });

/** The scope of requests that send no `x-user`: one shared scope, on purpose (the tests' clients are one caller). */
const ANONYMOUS = 'anonymous';

/** A Yoga app (the Yoga harness's) whose mutations run the shared ledger body behind `useIdempotency` (scope: the `x-user` header, else one shared scope). */
export function createGraphQLApp(ledger: Ledger, options: IdempotencyOptions) {
  return createTestYoga<Context>({
    typeDefs,
    resolvers: {
      JSON: JSONScalar,
      Query: { ping: () => 'pong' },
      Mutation: {
        charge: async (
          _: unknown,
          { amount, waitForGate }: { amount: number; waitForGate: boolean },
          { idempotency }: Context,
        ) => {
          const charge = await ledger.charge({
            operation: 'graphql:charge',
            key: idempotency?.key,
            fence: idempotency?.fence,
            amount,
            waitForGate,
          });
          return { ...charge, chargedAt: charge.chargedAt.toISOString() };
        },
        report: (_: unknown, { bytes }: { bytes: number }, { idempotency }: Context) => {
          if (!isReportSize(bytes))
            throw new GraphQLError('bytes is out of range.', { extensions: { code: 'BAD_USER_INPUT' } });
          return ledger.report({
            operation: 'graphql:report',
            key: idempotency?.key,
            fence: idempotency?.fence,
            bytes,
          });
        },
      },
    },
    yoga: { landingPage: false },
    idempotency: { ...options, scope: (ctx) => ctx.request.headers.get('x-user') ?? ANONYMOUS },
  });
}
