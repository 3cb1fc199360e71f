/**
 * createIdempotencyLink (Apollo Client) rides out a 409, the shared scenarios of
 * support/rides-out-409.ts in both ways HttpLink hands a 409 up: as a GraphQL result
 * (`application/graphql-response+json`, Apollo Client 4's preferred media type) or as a ServerError
 * (a client that accepts only `application/json`). Origin: issue #18 ("Clients that give up on 409").
 */
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { tap } from 'rxjs';
import { expect } from 'vitest';
import { createIdempotencyLink } from '../../../src/apollo-client/index.js';
import { CREATE_PAYMENT } from './support/lossy-graphql.js';
import { describeRidesOut409, type ClientDriver, type Created, type Mutated } from './support/rides-out-409.js';

const CREATE = gql(CREATE_PAYMENT);

const MEDIA_TYPES = [
  { accept: 'application/graphql-response+json,application/json;q=0.9', as: 'result' },
  { accept: 'application/json', as: 'ServerError' },
] as const;

/** A link below createIdempotencyLink that calls `onRefusal` once it has passed a 409 up. */
const refusalLink = (onRefusal: () => void) =>
  new ApolloLink((operation, forward) =>
    forward(operation).pipe(
      tap({
        next: (result) => void ('errors' in result && result.errors?.length && onRefusal()),
        error: (error: unknown) => void (ServerError.is(error) && error.statusCode === 409 && onRefusal()),
      }),
    ),
  );

/** What mutate() rejected with, in either media type. */
function rejected(error: unknown): Mutated {
  if (CombinedGraphQLErrors.is(error)) return { code: error.errors[0]?.extensions?.code };
  if (ServerError.is(error)) {
    expect(error.statusCode).toBe(409);
    const body = JSON.parse(error.bodyText) as { errors: { extensions: { code: string } }[] };
    return { code: body.errors[0]?.extensions.code };
  }
  return { aborted: (error as Error).message };
}

const apolloClient = (accept: string): ClientDriver => ({
  firstAttempts: ['timed out', 'still awaited'],
  create(url, options = {}, onRefusal) {
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([
        createIdempotencyLink(options),
        ...(onRefusal ? [refusalLink(onRefusal)] : []),
        new HttpLink({ uri: url, headers: { 'x-user': 'alice', accept } }),
      ]),
    });
    return {
      mutate: (amount, { key, signal } = {}) =>
        client
          .mutate<Created>({
            mutation: CREATE,
            variables: { amount },
            context: { ...(key ? { idempotencyKey: key } : {}), ...(signal ? { fetchOptions: { signal } } : {}) },
          })
          .then(({ data, extensions }) => ({ data, extensions }), rejected),
    };
  },
});

for (const { accept, as } of MEDIA_TYPES) {
  describeRidesOut409(`createIdempotencyLink rides out a 409 (409 as a ${as})`, apolloClient(accept));
}
