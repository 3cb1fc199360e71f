/** The switches on the page. */
export interface Settings {
  /** Lose the first successful response to each idempotency key (the mutation still runs). */
  flaky: boolean;
  /** Route payments to the APIs protected by the library; `false` routes them to unprotected twins. */
  idempotency: boolean;
  /** A repeat that arrives while the first attempt runs waits for its result (`concurrent: { wait }`) instead of getting 409. */
  wait: boolean;
}

/** The switches as they are when the playground starts: a reliable network, idempotency on, 409 for a concurrent repeat. */
export const defaultSettings: Settings = { flaky: false, idempotency: true, wait: false };

/**
 * Applies a settings change sent by the page, ignoring unknown fields; throws on a field of the
 * wrong type so a typo does not silently leave a switch as it was.
 */
export function applySettings(current: Settings, change: unknown): Settings {
  if (typeof change !== 'object' || change === null) throw new TypeError('settings must be a JSON object');
  const next = { ...current };
  for (const name of Object.keys(defaultSettings) as (keyof Settings)[]) {
    const value = (change as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false`);
    next[name] = value;
  }
  return next;
}
