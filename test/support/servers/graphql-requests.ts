/**
 * How the GraphQL tests talk to a server over HTTP, whichever harness built it (yoga.ts,
 * apollo-server.ts): `post` one operation or a batch, `as` a caller with a key, read `codes`.
 */

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** Where requests go: `url` through `fetch` (a harness's in-process fetch, or the global one over a real socket). */
export interface HttpTarget {
  url: string;
  fetch: typeof fetch;
}

/** A GraphQL POST (one operation or a batch) to a URL over real HTTP, or to a harness server however it is reached; returns status, headers and the body as text and JSON. */
export async function post(target: string | HttpTarget, body: unknown, headers: Record<string, string> = {}) {
  const { url, fetch } = typeof target === 'string' ? { url: target, fetch: globalThis.fetch } : target;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: JSON.parse(text) as GraphQLBody & GraphQLBody[],
  };
}

/** Request headers of a caller (`x-user`) and, if given, its key (sent as is). */
export const as = (user: string | undefined, key?: string): Record<string, string> => ({
  ...(user === undefined ? {} : { 'x-user': user }),
  ...(key === undefined ? {} : { 'idempotency-key': key }),
});

/** Headers of `user` with `key` sent as an RFC 8941 string. */
export const asSfString = (user: string, key?: string): Record<string, string> => ({
  'x-user': user,
  ...(key ? { 'idempotency-key': `"${key}"` } : {}),
});

/** The codes of a response's errors. */
export const codes = (body: GraphQLBody): unknown[] | undefined => body.errors?.map((error) => error.extensions?.code);
