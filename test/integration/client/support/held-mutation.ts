import { onClose, startTestServer, type TestServer } from '../../../support/servers/yoga.js';

/** One request as the server saw it: its `Idempotency-Key` header and, once answered, its status. */
export interface SeenRequest {
  key: string | undefined;
  status?: number;
}

export interface HeldMutationServer extends TestServer {
  /** Every request in arrival order. */
  requests: SeenRequest[];
  /** Resolves when the mutation body has started `n` times (its resolver is then held until `release`). */
  bodyStarted(n?: number): Promise<void>;
  /** Lets every held body (and every later one) return. */
  release(): void;
  /** Resolves when `n` requests carrying `key` (the header value as sent) have been answered with `status`. */
  answered(key: string, status: number, n?: number): Promise<void>;
}

/**
 * A Yoga server with useIdempotency on the run's real Redis (scope: the `x-user` header) whose
 * mutation body is held until the test releases it, so a second request with the same key arrives
 * while the first attempt still runs and is answered 409 `IDEMPOTENCY_CONCURRENT_REQUEST` with
 * `Retry-After: retryAfter`. Records every request's key header and status.
 */
export async function startHeldMutationServer(retryAfter = 1): Promise<HeldMutationServer> {
  const requests: SeenRequest[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((check) => check());
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!done()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  let started = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));

  const server = await startTestServer({
    label: 'client-409',
    idempotency: { retryAfter },
    beforeResolve: async () => {
      started++;
      notify();
      await released;
    },
    wrap: (handler) => (req, res) => {
      const header = req.headers['idempotency-key'];
      const seen: SeenRequest = { key: typeof header === 'string' ? header : undefined };
      requests.push(seen);
      res.on('finish', () => {
        seen.status = res.statusCode;
        notify();
      });
      handler(req, res);
    },
  });
  onClose(async () => release());
  return {
    ...server,
    requests,
    bodyStarted: (n = 1) => until(() => started >= n),
    release,
    answered: (key, status, n = 1) =>
      until(() => requests.filter((seen) => seen.key === key && seen.status === status).length >= n),
  };
}
