import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { formatKeyHeader } from '../../../../src/core/client-key.js';
import type { TrpcRouter } from './trpc-app.js';

/** What a client saw: the HTTP status, the headers that matter here, and the body. */
export interface Seen<TBody> {
  status: number;
  retryAfter: string | null;
  replayed: string | null;
  body: TBody;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export const CHARGE_MUTATION = /* GraphQL */ `
  mutation Charge($amount: Int!, $waitForGate: Boolean, $memo: JSON, $idempotencyKey: String) {
    charge(amount: $amount, waitForGate: $waitForGate, memo: $memo, idempotencyKey: $idempotencyKey) {
      key
      amount
      fence
      server
      run
      chargedAt
    }
  }
`;

export const REPORT_MUTATION = /* GraphQL */ `
  mutation Report($bytes: Int!) {
    report(bytes: $bytes)
  }
`;

/** A GraphQL POST with fetch; `key` goes into the Idempotency-Key header as an RFC 8941 string. */
export async function postGraphQL(
  url: string,
  body: { query: string; variables?: Record<string, unknown> },
  key?: string,
): Promise<Seen<GraphQLBody>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(key === undefined ? {} : { 'idempotency-key': formatKeyHeader(key) }),
    },
    body: JSON.stringify(body),
  });
  return { ...seenHeaders(response), body: (await response.json()) as GraphQLBody };
}

export type TrpcOutcome =
  { ok: true; data: unknown } | { ok: false; code: string | undefined; idempotencyCode: string | undefined };

/** Calls a tRPC mutation with `@trpc/client` (httpLink, superjson), `key` in the Idempotency-Key header. */
export async function callTrpc(
  url: string,
  path: 'charge' | 'report',
  input: unknown,
  key?: string,
): Promise<Seen<TrpcOutcome>> {
  let response: Response | undefined;
  const client = createTRPCClient<TrpcRouter>({
    links: [
      httpLink({
        url,
        transformer: superjson,
        headers: key === undefined ? {} : { 'idempotency-key': formatKeyHeader(key) },
        fetch: async (input, init) => (response = await fetch(input, init)),
      }),
    ],
  });
  let body: TrpcOutcome;
  try {
    body = { ok: true, data: await client[path].mutate(input as never) };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code?: string; idempotency?: { code: string } } | undefined;
    body = { ok: false, code: data?.code, idempotencyCode: data?.idempotency?.code };
  }
  if (!response) throw new Error('the tRPC client sent no request');
  return { ...seenHeaders(response), body };
}

function seenHeaders(response: Response) {
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    replayed: response.headers.get('idempotent-replayed'),
  };
}

/** Runs `count` calls at once and returns what each saw, in order. */
export function all<T>(count: number, call: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => call(index)));
}
