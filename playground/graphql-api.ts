import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type YogaInitialContext, type YogaServerOptions } from 'graphql-yoga';
import { useIdempotency, type GraphQLIdempotencyContext } from '../src/envelop/index.js';
import type { ApiVariant, PaymentApi, PaymentApiDependencies } from './api-dependencies.js';
import { InvalidChargeError, StaleFenceError } from './ledger.js';
import { chargeOnce } from './payment-body.js';

/** Where the GraphQL API is served. */
export const GRAPHQL_PATH = '/graphql';

const typeDefs = /* GraphQL */ `
  type Charge {
    id: ID!
    amountCents: Int!
    description: String!
    channel: String!
    "Fencing token of the attempt that wrote the charge last; null without idempotency."
    fence: Int
    createdAt: String!
  }
  type Query {
    charges: [Charge!]!
  }
  type Mutation {
    createCharge(amountCents: Int!, description: String!): Charge!
  }
`;

type Context = YogaInitialContext & { idempotency?: GraphQLIdempotencyContext };

function createPaymentsSchema(deps: PaymentApiDependencies) {
  return createSchema<Context>({
    typeDefs,
    resolvers: {
      Query: { charges: () => deps.ledger.list() },
      Mutation: {
        createCharge: async (_parent, args: { amountCents: number; description: string }, context) => {
          try {
            return await chargeOnce(deps, args, {
              channel: 'graphql',
              headers: context.request.headers,
              run: context.idempotency,
            });
          } catch (error) {
            if (error instanceof InvalidChargeError)
              throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } });
            if (error instanceof StaleFenceError)
              throw new GraphQLError(error.message, { extensions: { code: 'STALE_FENCE', http: { status: 409 } } });
            throw error;
          }
        },
      },
    },
  });
}

/** The GraphQL payments API of one instance on Yoga: protected by `useIdempotency` (409 or wait), and an unprotected twin. */
export function createGraphqlApi(deps: PaymentApiDependencies): PaymentApi {
  const schema = createPaymentsSchema(deps);
  const yogaWith = (plugins: YogaServerOptions<object, object>['plugins']) =>
    createYoga({ schema, plugins, graphqlEndpoint: GRAPHQL_PATH, graphiql: false, logging: false });
  const { store, leaseMs: lease, waitMs } = deps;
  const variants: Record<ApiVariant, ReturnType<typeof yogaWith>> = {
    protected: yogaWith([useIdempotency({ store, scope: false, lease })]),
    waiting: yogaWith([useIdempotency({ store, scope: false, lease, concurrent: { wait: waitMs } })]),
    unprotected: yogaWith([]),
  };
  return (request, variant) => Promise.resolve(variants[variant].fetch(request));
}
