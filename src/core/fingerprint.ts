import { createHash, type Hash } from 'node:crypto';
import { IdempotencyInputInvalidError } from './errors.js';

/** Containers (arrays, objects, maps, sets, class instances) nested deeper than this are refused. */
export const MAX_FINGERPRINT_DEPTH = 1000;
/**
 * Containers visited in all are capped too: an input whose objects share children (a superjson
 * input can be a DAG) would otherwise be walked exponentially often.
 */
export const MAX_FINGERPRINT_CONTAINERS = 1_000_000;

/** Buffered text is handed to the hash once it is this long, so no giant string is ever built. */
const FLUSH_AT = 64 * 1024;

/** Closes every container in the encoding; no value's tag is this character. */
const END = ')';

/**
 * The fingerprint of a request input: the SHA-256 hex digest of a canonical, type-tagged encoding,
 * streamed into one hash. Equal inputs give equal fingerprints, and different inputs different ones:
 *
 * - Plain objects (any prototype-less or `Object.prototype` object): own enumerable string keys,
 *   sorted, any key accepted (`constructor`, `prototype`, `__proto__` included); key order does not
 *   matter. A property whose value is `undefined` is kept: `{ a: undefined }` differs from `{}`.
 * - Arrays in order; a hole reads as `undefined`. Strings are JSON-quoted (self-delimiting, lone
 *   surrogates escaped), numbers keep `NaN`, `-0` and `±Infinity` apart, and every value is tagged
 *   by type, so `"1"`, `1` and `1n` differ, as do a `Map` and an array of pairs.
 * - `Date` by time (an invalid date too), `RegExp` by source and flags, `Map` and `Set` by entries in
 *   order, typed arrays, `DataView`, `ArrayBuffer` and `Buffer` by bytes and kind (a `Buffer` is a
 *   `Uint8Array`), `URL` by href, `URLSearchParams` by entries, `Error` by name and message, boxed
 *   primitives by value.
 * - `Blob` by type and content, `File` by name, type and content (not `lastModified`, which the
 *   server sets on upload), `FormData` by its entries in order.
 * - Any other object (a class instance) by its class name and its own enumerable properties;
 *   internal state it keeps elsewhere is not seen.
 * - Functions and symbols are opaque: tagged (so `{ f }` differs from `{}`), their content not hashed.
 *
 * Only a `Blob` makes the work asynchronous (its content is read); other input is hashed at once.
 * Throws {@link IdempotencyInputInvalidError} for a cycle, nesting deeper than
 * {@link MAX_FINGERPRINT_DEPTH}, or a value that cannot be read (a throwing getter).
 */
export async function fingerprint(input: unknown): Promise<string> {
  const first = encode(input, undefined);
  if (!first.blobs) return first.digest;
  return encode(input, await digestBlobs(first.blobs)).digest;
}

/** Hashes each blob's content once (one in memory at a time). */
async function digestBlobs(blobs: Set<Blob>): Promise<Map<Blob, Buffer>> {
  const digests = new Map<Blob, Buffer>();
  for (const blob of blobs) digests.set(blob, createHash('sha256').update(new Uint8Array(await blob.arrayBuffer())).digest());
  return digests;
}

/** Encodes `input` into a fresh hash, turning any failure into {@link IdempotencyInputInvalidError}. */
function encode(input: unknown, blobDigests: Map<Blob, Buffer> | undefined): { digest: string; blobs: Set<Blob> | undefined } {
  const encoder = new Encoder(blobDigests);
  try {
    encoder.value(input);
  } catch (error) {
    if (error instanceof IdempotencyInputInvalidError) throw error;
    throw new IdempotencyInputInvalidError('The operation input cannot be fingerprinted: a value in it cannot be read.', { cause: error });
  }
  return { digest: encoder.digest(), blobs: encoder.blobs };
}

/**
 * Writes the canonical encoding of one value into a SHA-256 hash. Without `blobDigests` it records
 * the blobs it meets in {@link blobs} (the caller reads them and encodes again with their digests).
 */
class Encoder {
  /** The blobs met without a digest; created on the first one, so input without blobs allocates none. */
  blobs: Set<Blob> | undefined;
  private readonly hash: Hash = createHash('sha256');
  private text = '';
  /** The containers enclosing the value being encoded, outermost first. */
  private readonly path: object[] = [];
  private containers = 0;

  constructor(private readonly blobDigests: Map<Blob, Buffer> | undefined) {}

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return this.write('s' + JSON.stringify(value));
      case 'number':
        return this.write('n' + (Object.is(value, -0) ? '-0' : String(value)) + ';');
      case 'boolean':
        return this.write(value ? 'T' : 'F');
      case 'undefined':
        return this.write('U');
      case 'bigint':
        return this.write('i' + value.toString() + ';');
      case 'function':
        return this.write('f');
      case 'symbol':
        return this.write('y');
    }
    if (value === null) return this.write('N');
    if (Array.isArray(value)) return this.array(value);
    const object = value as object;
    const prototype: object | null = Object.getPrototypeOf(object);
    if (prototype === null || Object.getPrototypeOf(prototype) === null) return this.properties('O', object);
    this.special(object, prototype);
  }

  private array(array: readonly unknown[]): void {
    this.enter(array, 'A');
    for (let index = 0; index < array.length; index++) this.value(array[index]);
    this.leave();
  }

  /** An object's own enumerable string-keyed properties, sorted by key. */
  private properties(tag: string, object: object): void {
    this.enter(object, tag);
    const record = object as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      this.write(JSON.stringify(key));
      this.value(record[key]);
    }
    this.leave();
  }

  private special(value: object, prototype: object): void {
    if (value instanceof Date) return this.write('d' + String(value.getTime()) + ';');
    if (value instanceof RegExp) return this.write('r' + JSON.stringify(value.source) + JSON.stringify(value.flags));
    if (value instanceof Map) return this.entries('M', value, flatten(value.entries()));
    if (value instanceof Set) return this.entries('S', value, value.values());
    if (ArrayBuffer.isView(value)) return this.bytes(value, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return this.bytes(value, new Uint8Array(value));
    if (value instanceof File) return this.blob('F' + JSON.stringify(value.name) + JSON.stringify(value.type), value);
    if (value instanceof Blob) return this.blob('b' + JSON.stringify(value.type), value);
    if (value instanceof FormData) return this.entries('D', value, flatten(value.entries()));
    if (value instanceof URL) return this.write('L' + JSON.stringify(value.href));
    if (value instanceof URLSearchParams) return this.entries('Q', value, flatten(value.entries()));
    if (value instanceof Error) return this.write('E' + JSON.stringify(String(value.name)) + JSON.stringify(String(value.message)));
    if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) {
      this.write('X');
      return this.value(value.valueOf());
    }
    const constructor: unknown = (prototype as { constructor?: unknown }).constructor;
    this.properties('C' + JSON.stringify(typeof constructor === 'function' ? constructor.name : ''), value);
  }

  /** A container whose items are the iterated values, in order (a map's and a form's as key, value, key, …). */
  private entries(tag: string, container: object, items: Iterable<unknown>): void {
    this.enter(container, tag);
    for (const item of items) this.value(item);
    this.leave();
  }

  /** Bytes by kind (`Uint8Array`, `DataView`, `ArrayBuffer`, …) and length-prefixed content. */
  private bytes(value: object, content: Uint8Array): void {
    this.write('B' + JSON.stringify(Object.prototype.toString.call(value)) + String(content.byteLength) + ';');
    this.writeBytes(content);
  }

  /** A blob by its header and the 32-byte digest of its content (recorded for reading on the first pass). */
  private blob(header: string, blob: Blob): void {
    this.write(header);
    const digest = this.blobDigests?.get(blob);
    if (digest) this.writeBytes(digest);
    else (this.blobs ??= new Set()).add(blob);
  }

  private enter(container: object, tag: string): void {
    if (++this.containers > MAX_FINGERPRINT_CONTAINERS) {
      throw new IdempotencyInputInvalidError(`The operation input cannot be fingerprinted: it has more than ${MAX_FINGERPRINT_CONTAINERS} objects and arrays.`);
    }
    if (this.path.length === MAX_FINGERPRINT_DEPTH) {
      throw new IdempotencyInputInvalidError(
        new Set(this.path).add(container).size <= this.path.length
          ? 'The operation input cannot be fingerprinted: it contains a cycle (an object that contains itself).'
          : `The operation input cannot be fingerprinted: it is nested deeper than ${MAX_FINGERPRINT_DEPTH} levels.`,
      );
    }
    this.path.push(container);
    this.write(tag);
  }

  private leave(): void {
    this.path.pop();
    this.write(END);
  }

  private write(text: string): void {
    this.text += text;
    if (this.text.length >= FLUSH_AT) this.flush();
  }

  private writeBytes(bytes: Uint8Array): void {
    this.flush();
    this.hash.update(bytes);
  }

  private flush(): void {
    if (this.text.length === 0) return;
    this.hash.update(this.text);
    this.text = '';
  }
}

/** The pairs of an entry iterator as one flat sequence: name, value, name, value, … */
function* flatten<K, V>(pairs: Iterable<[K, V]>): Iterable<K | V> {
  for (const [name, value] of pairs) {
    yield name;
    yield value;
  }
}
