import { defaultSettings, type Settings } from '../settings.js';
import { byId } from './dom.js';

const names = Object.keys(defaultSettings) as (keyof Settings)[];

/**
 * Puts the switches to their defaults. The switches are this page's own: the server keeps none, so a
 * reload (and a second tab) starts here, whatever the browser would restore into the checkboxes.
 */
export function resetSwitches(): void {
  for (const name of names) byId<HTMLInputElement>(name).checked = defaultSettings[name];
}

/** The switches as they are on this page now; a click runs with them, sent with each of its requests. */
export function currentSwitches(): Settings {
  return Object.fromEntries(names.map((name) => [name, byId<HTMLInputElement>(name).checked])) as unknown as Settings;
}
