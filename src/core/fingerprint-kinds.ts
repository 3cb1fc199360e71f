/**
 * How the fingerprint recognises values that are not plain data, beyond `instanceof` checks:
 * blobs from other implementations, streams, and what a class instance is named.
 */

/** Anything whose content is read with `arrayBuffer()`: a `Blob`, a `File`, or a blob of another implementation. */
export interface BlobLike {
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A blob-like value as the fingerprint reads it: its content, its type, and its name when it is a file. */
export interface BlobParts {
  blob: BlobLike;
  type: string;
  /** The file name, or `undefined` for a blob that is not a file. */
  name: string | undefined;
}

type Loose = Record<string | symbol, unknown>;

/**
 * A blob that is not `instanceof Blob`: one from another realm or a ponyfill (Yoga's uploads are
 * `@whatwg-node/node-fetch`'s `PonyfillFile`). Recognised by `Symbol.toStringTag` `'Blob'` or
 * `'File'`, or by the whole `Blob` interface (`arrayBuffer`, `slice` and `stream` methods, a string
 * `type`, a number `size`). A file also has a string `name` (tag `'File'`, or a `name` beside a
 * number `lastModified`); `lastModified` itself is never read into the fingerprint.
 */
export function foreignBlob(value: object): BlobParts | undefined {
  const loose = value as Loose;
  if (typeof loose.arrayBuffer !== 'function') return undefined;
  const tag = loose[Symbol.toStringTag];
  const blobInterface =
    typeof loose.type === 'string' &&
    typeof loose.size === 'number' &&
    typeof loose.slice === 'function' &&
    typeof loose.stream === 'function';
  if (tag !== 'Blob' && tag !== 'File' && !blobInterface) return undefined;
  const isFile = tag === 'File' || (typeof loose.name === 'string' && typeof loose.lastModified === 'number');
  return { blob: value as BlobLike, type: String(loose.type ?? ''), name: isFile ? String(loose.name) : undefined };
}

/**
 * A stream, which cannot be read without consuming it: a web `ReadableStream` (of any
 * implementation: tag `'ReadableStream'`), a Node.js `Readable`, or any other async iterable.
 */
export function isStream(value: object): boolean {
  if (typeof ReadableStream === 'function' && value instanceof ReadableStream) return true;
  const loose = value as Loose;
  return loose[Symbol.toStringTag] === 'ReadableStream' || typeof loose[Symbol.asyncIterator] === 'function';
}

/** The name of the class `prototype` belongs to, or `''` when it has none. */
export function className(prototype: object): string {
  const constructor: unknown = (prototype as { constructor?: unknown }).constructor;
  return typeof constructor === 'function' ? constructor.name : '';
}
