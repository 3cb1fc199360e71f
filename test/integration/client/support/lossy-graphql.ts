import { startTestServer, type TestServer } from '../../../support/servers/yoga.js';

/** The mutation every client test sends; `key` is the key the server ran it under. */
export const CREATE_PAYMENT = /* GraphQL */ `
  mutation Create($amount: Int!) {
    createPayment(amount: $amount) {
      id
      amount
      key
    }
  }
`;

export interface LossyGraphQLServer extends TestServer {
  /** The `Idempotency-Key` header of every request, in arrival order (`undefined`: none). */
  keysSeen: (string | undefined)[];
  /** How many responses were lost. */
  dropped(): number;
}

export interface LossyOptions {
  /** Loses the responses of the first `dropFirst` keyed requests, counted over all keys. Defaults to `0`. */
  dropFirst?: number;
  /** Loses the responses of the first `dropPerKey` requests of every key. Defaults to `0`. */
  dropPerKey?: number;
}

/**
 * A Yoga server with useIdempotency on the Redis store (scope: the `x-user` header) that loses
 * responses: the request is handled in full (the resolver runs, the result is stored), then the
 * connection dies when the answer is written, as when a proxy or the network drops it.
 */
export async function startLossyGraphQL(options: LossyOptions = {}): Promise<LossyGraphQLServer> {
  const { dropFirst = 0, dropPerKey = 0 } = options;
  const keysSeen: (string | undefined)[] = [];
  const perKey = new Map<string, number>();
  let keyed = 0;
  let dropped = 0;
  const server = await startTestServer({
    label: 'client-libraries',
    wrap: (handler) => (req, res) => {
      const key = req.headers['idempotency-key'];
      keysSeen.push(typeof key === 'string' ? key : undefined);
      if (typeof key === 'string') {
        const ofKey = (perKey.get(key) ?? 0) + 1;
        perKey.set(key, ofKey);
        if (++keyed <= dropFirst || ofKey <= dropPerKey) {
          dropped++;
          req.socket.write = (() => req.socket.destroy()) as never;
        }
      }
      handler(req, res);
    },
  });
  return { ...server, keysSeen, dropped: () => dropped };
}

/** The distinct keys among `keysSeen`, in order of first appearance. */
export function distinctKeys(keysSeen: (string | undefined)[]): string[] {
  return [...new Set(keysSeen.filter((key): key is string => key !== undefined))];
}
