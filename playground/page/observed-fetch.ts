import { SETTINGS_HEADER, type Settings } from '../settings.js';

/** What happened to one HTTP attempt of a payment. */
export type AttemptReport =
  | { attempt: number; key: string | null; lost: true }
  | { attempt: number; key: string | null; lost: false; status: number; replayed: boolean };

/**
 * A `fetch` that sends the page's switches with every attempt (the server keeps none of its own) and
 * reports every attempt it makes (lost, or answered and whether the answer was a replay), so the
 * page can show what the client helpers do behind one `mutate()` call.
 */
export function observedFetch(switches: Settings, onAttempt: (report: AttemptReport) => void): typeof fetch {
  let attempt = 0;
  return async (input, init) => {
    attempt += 1;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(SETTINGS_HEADER, JSON.stringify(switches));
    const key = headers.get('Idempotency-Key');
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers });
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
