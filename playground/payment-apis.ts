import type { PaymentApiDependencies, PaymentApis } from './api-dependencies.js';
import { createGraphqlApi } from './graphql-api.js';
import { createTrpcApi } from './trpc-api.js';

/** The GraphQL and tRPC payment APIs of one app instance, each with its own idempotency engines. */
export function createPaymentApis(deps: PaymentApiDependencies): PaymentApis {
  return { graphql: createGraphqlApi(deps), trpc: createTrpcApi(deps) };
}
