import { SETTINGS_HEADER, type Settings } from '../../../playground/settings.js';
/** A payment request to the playground, sent with `fetch` as a script would. */
export interface PaymentRequest {
  /** `/graphql`, `/trpc`, or the load balancer's `/cluster/graphql`, `/cluster/trpc`. */
  api: string;
  key: string;
  amountCents: number;
  description?: string;
  /** The page's switches the request carries (`x-playground-settings`); without, the defaults. */
  settings?: Partial<Settings>;
}

/** What came back: the status, whether it was a replay, and the charge (id and fence) or the error code; `lost` when the connection dropped. */
export type PaymentAnswer =
  | { lost: true }
  | {
      lost: false;
      status: number;
      replayed: boolean;
      retryAfter: string | null;
      charge?: { id: string; fence: number | null };
      code?: string;
    };

/** Sends one payment to the playground at `base` through GraphQL or tRPC, by the path. */
export async function pay(
  base: string,
  { api, key, amountCents, description = 'Tea', settings }: PaymentRequest,
): Promise<PaymentAnswer> {
  const graphql = api.endsWith('/graphql');
  const body = graphql
    ? {
        query: 'mutation ($a: Int!, $d: String!) { createCharge(amountCents: $a, description: $d) { id fence } }',
        variables: { a: amountCents, d: description },
      }
    : { amountCents, description };
  let response: Response;
  try {
    response = await fetch(new URL(graphql ? api : `${api}/payments.create`, base), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `"${key}"`,
        ...(settings ? { [SETTINGS_HEADER]: JSON.stringify(settings) } : {}),
      },
      body: JSON.stringify(body),
    });
  } catch {
    return { lost: true };
  }
  const json = (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const charge = graphql ? json.data?.createCharge : json.result?.data;
  const code = graphql
    ? json.errors?.[0]?.extensions?.code
    : (json.error?.data?.idempotency?.code ?? json.error?.data?.code);
  return {
    lost: false,
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    retryAfter: response.headers.get('retry-after'),
    ...(charge ? { charge: { id: charge.id, fence: charge.fence } } : {}),
    ...(code ? { code } : {}),
  };
}

/** Posts JSON to the playground's control endpoints. */
export function postJson(base: string, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Whether a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
