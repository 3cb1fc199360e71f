/** The switches on the page: each page (each tab, each reload) has its own and sends them with every payment request. */
export interface Settings {
  /** Lose the first successful response to each idempotency key (the mutation still runs). */
  flaky: boolean;
  /** Route payments to the APIs protected by the library; `false` routes them to unprotected twins. */
  idempotency: boolean;
  /** A repeat that arrives while the first attempt runs waits for its result (`concurrent: { wait }`) instead of getting 409. */
  wait: boolean;
}

/** The switches of a freshly loaded page, and of a request without {@link SETTINGS_HEADER}: a reliable network, idempotency on, 409 for a concurrent repeat. */
export const defaultSettings: Settings = { flaky: false, idempotency: true, wait: false };

/**
 * The request header that carries the page's switches with each payment request, as JSON
 * (`{"idempotency":false}`); a switch it leaves out keeps its default. The server keeps no switches of
 * its own, so a reload or a second tab starts from the defaults.
 */
export const SETTINGS_HEADER = 'x-playground-settings';

/** Thrown for a {@link SETTINGS_HEADER} that is not a JSON object of booleans; answered with 400. */
export class SettingsError extends TypeError {
  override name = 'SettingsError';
}

/**
 * The switches a payment request runs with: the defaults, changed by its {@link SETTINGS_HEADER}.
 * Ignores unknown fields; throws a {@link SettingsError} on a field of the wrong type, so a typo does
 * not silently leave a switch as it was.
 */
export function settingsOf(headers: Headers): Settings {
  const header = headers.get(SETTINGS_HEADER);
  if (header === null) return { ...defaultSettings };
  let change: unknown;
  try {
    change = JSON.parse(header);
  } catch {
    throw new SettingsError(`${SETTINGS_HEADER} must be a JSON object`);
  }
  if (typeof change !== 'object' || change === null || Array.isArray(change))
    throw new SettingsError(`${SETTINGS_HEADER} must be a JSON object`);
  const next = { ...defaultSettings };
  for (const name of Object.keys(defaultSettings) as (keyof Settings)[]) {
    const value = (change as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new SettingsError(`${name} must be true or false`);
    next[name] = value;
  }
  return next;
}
