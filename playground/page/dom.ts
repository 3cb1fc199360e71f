/** The page's element with this id; throws when the page has none (a typo, not a runtime state). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** A new element with text, a class and data attributes. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { text?: string; className?: string; data?: Record<string, string> } = {},
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.text !== undefined) element.textContent = options.text;
  if (options.className) element.className = options.className;
  for (const [name, value] of Object.entries(options.data ?? {})) element.dataset[name] = value;
  return element;
}

/** Fills a list, or shows its empty state instead. */
export function fillList(list: HTMLElement, empty: HTMLElement, items: HTMLElement[]): void {
  list.replaceChildren(...items);
  list.hidden = items.length === 0;
  empty.hidden = items.length > 0;
}
