/** Formats cents as euros: 2500 → "€25.00". */
export function euros(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

/** The first 8 characters of a key, which tell the keys of one page apart: "3f2a9c1e…". */
export function shortKey(key: string | null | undefined): string {
  if (!key) return 'no key';
  const bare = key.replace(/^"|"$/g, '');
  return bare.length > 9 ? `${bare.slice(0, 8)}…` : bare;
}

/** "1 request", "2 requests". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A server time as minutes, seconds and tenths: "39:47.7". */
export function clock(iso: string): string {
  const time = new Date(iso);
  return `${String(time.getMinutes()).padStart(2, '0')}:${String(time.getSeconds()).padStart(2, '0')}.${Math.floor(time.getMilliseconds() / 100)}`;
}

/** "once", "twice", "3 times". */
export function times(count: number): string {
  return count === 1 ? 'once' : count === 2 ? 'twice' : `${count} times`;
}
