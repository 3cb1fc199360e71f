/** What happened to one HTTP attempt of a payment. */
export type AttemptReport =
  | { attempt: number; key: string | null; lost: true }
  | { attempt: number; key: string | null; lost: false; status: number; replayed: boolean };

/**
 * A `fetch` that reports every attempt it makes (lost, or answered and whether the answer was a
 * replay), so the page can show what the client helpers do behind one `mutate()` call.
 */
export function observedFetch(onAttempt: (report: AttemptReport) => void): typeof fetch {
  let attempt = 0;
  return async (input, init) => {
    attempt += 1;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const key = headers.get('Idempotency-Key');
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      onAttempt({ attempt, key, lost: true });
      throw error;
    }
    onAttempt({
      attempt,
      key,
      lost: false,
      status: response.status,
      replayed: response.headers.get('Idempotent-Replayed') === 'true',
    });
    return response;
  };
}
