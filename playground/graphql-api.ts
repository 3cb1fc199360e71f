import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type YogaInitialContext, type YogaServerOptions } from 'graphql-yoga';
import { useIdempotency } from '../src/graphql/index.js';
import type { PaymentApi, PaymentApiDependencies } from './api-dependencies.js';
import { InvalidChargeError, parseChargeRequest, type Ledger } from './ledger.js';
import { requestKeyOf } from './request-key.js';

/** Where the GraphQL API is served. */
export const GRAPHQL_PATH = '/graphql';

const typeDefs = /* GraphQL */ `
  type Charge {
    id: ID!
    amountCents: Int!
    description: String!
    channel: String!
    createdAt: String!
  }
  type Query {
    charges: [Charge!]!
  }
  type Mutation {
    createCharge(amountCents: Int!, description: String!): Charge!
  }
`;

function createPaymentsSchema(ledger: Ledger) {
  return createSchema<YogaInitialContext>({
    typeDefs,
    resolvers: {
      Query: { charges: () => ledger.list() },
      Mutation: {
        createCharge: (_parent, args: { amountCents: number; description: string }, context) => {
          try {
            return ledger.charge(parseChargeRequest(args), { channel: 'graphql', requestKey: requestKeyOf(context.request.headers) });
          } catch (error) {
            if (error instanceof InvalidChargeError) throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } });
            throw error;
          }
        },
      },
    },
  });
}

/** The GraphQL payments API on Yoga: protected by `useIdempotency`, and an unprotected twin. */
export function createGraphqlApi({ ledger, store, onEvent }: PaymentApiDependencies): PaymentApi {
  const schema = createPaymentsSchema(ledger);
  const yogaWith = (plugins: YogaServerOptions<object, object>['plugins']) => createYoga({ schema, plugins, graphqlEndpoint: GRAPHQL_PATH, graphiql: false, logging: false });
  const protectedYoga = yogaWith([useIdempotency({ store, scope: false, onEvent })]);
  const unprotectedYoga = yogaWith([]);
  return {
    protected: (request) => Promise.resolve(protectedYoga.fetch(request)),
    unprotected: (request) => Promise.resolve(unprotectedYoga.fetch(request)),
  };
}
