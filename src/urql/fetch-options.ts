import type { Operation } from '@urql/core';

/** The `fetchOptions` of an operation, called when it is a function. */
export function fetchOptionsOf(operation: Operation): RequestInit {
  const { fetchOptions } = operation.context;
  return (typeof fetchOptions === 'function' ? fetchOptions() : fetchOptions) ?? {};
}

/** The operation's `fetchOptions` with the key header set; a function stays a function, called when urql asks. */
export function withKeyHeader(
  fetchOptions: RequestInit | (() => RequestInit) | undefined,
  name: string,
  value: string,
): RequestInit | (() => RequestInit) {
  const add = (init: RequestInit = {}): RequestInit => {
    const headers = new Headers(init.headers);
    headers.set(name, value);
    return { ...init, headers: Object.fromEntries(headers) };
  };
  return typeof fetchOptions === 'function' ? () => add(fetchOptions()) : add(fetchOptions);
}
