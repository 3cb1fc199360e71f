import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from './sha256.js';
import { IdempotencyInputInvalidError } from './errors.js';
import { className, foreignBlob, isStream, type BlobLike } from './fingerprint-kinds.js';

/** Containers (arrays, objects, maps, sets, class instances) nested deeper than this are refused. */
export const MAX_FINGERPRINT_DEPTH = 1000;
/**
 * Containers visited in all are capped too: an input whose objects share children (a superjson
 * input can be a DAG) would otherwise be walked exponentially often.
 */
export const MAX_FINGERPRINT_CONTAINERS = 1_000_000;
/**
 * The encoded text (in UTF-16 code units) and binary bytes hashed for one input are capped too: a
 * value referenced many times (a superjson input's `referentialEqualities` can point a thousand
 * entries at one 1 MB string) is hashed once per reference. Blob content does not count: each blob
 * is read and digested once, however often it appears.
 */
export const MAX_FINGERPRINT_SIZE = 16 * 1024 * 1024;

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
 *   `Uint8Array`), `URL` by href, `URLSearchParams` by entries, boxed primitives by value.
 * - `Error` by name, message, its `cause` (followed down the chain), an `AggregateError`'s `errors`,
 *   and its own enumerable properties; never its stack.
 * - `Blob` by type and content, `File` by name, type and content (not `lastModified`, which the
 *   server sets on upload), `FormData` by its entries in order. A blob of another implementation
 *   (Yoga's uploads are `@whatwg-node`'s `PonyfillFile`, not `instanceof File`) is recognised by its
 *   `Symbol.toStringTag` or its `Blob` interface and hashed the same way as a native one.
 * - A symbol by `Symbol.keyFor(symbol) ?? symbol.description` (superjson's registered symbols are
 *   told apart by their description).
 * - Any other object, a class instance, by its class name and what its `toJSON()` returns (a
 *   `Decimal`, a Temporal value, an `ObjectId`, a money type). A class instance without `toJSON()`
 *   is **refused**, even one with enumerable properties: part of its state may sit in `#private`
 *   fields or closures (or it is a `Promise`, a `WeakMap`), and two values that differ only there
 *   would get the same fingerprint. Give such a class a `toJSON()` that returns its whole state.
 * - Functions are opaque: tagged (so `{ f }` differs from `{}`), their content not hashed.
 *
 * Only a blob makes the work asynchronous (its content is read); other input is hashed at once.
 * Throws {@link IdempotencyInputInvalidError} (400) for a cycle, nesting deeper than
 * {@link MAX_FINGERPRINT_DEPTH}, more than {@link MAX_FINGERPRINT_CONTAINERS} containers or
 * {@link MAX_FINGERPRINT_SIZE} characters and bytes to hash, a value that cannot be read (a
 * throwing getter), a stream (a `ReadableStream`: a tRPC `File`, `Blob` or `Uint8Array` input sent by
 * `httpLink` as `application/octet-stream` arrives as one, and reading it would consume it), a
 * symbol with neither a registry key nor a description, and a class instance without `toJSON()`.
 */
export async function fingerprint(input: unknown): Promise<string> {
  return fingerprintOf(input);
}

/**
 * {@link fingerprint}, answered at once (no promise) when the input holds no blob: the engine's
 * way to spare a first execution a promise. Throws, or rejects, as {@link fingerprint} rejects.
 */
export function fingerprintOf(input: unknown): string | Promise<string> {
  const first = encode(input, undefined);
  if (!first.blobs) return first.digest;
  return digestBlobs(first.blobs).then((digests) => encode(input, digests).digest);
}

/** Hashes each blob's content once (one in memory at a time). */
async function digestBlobs(blobs: Set<BlobLike>): Promise<Map<BlobLike, Buffer>> {
  const digests = new Map<BlobLike, Buffer>();
  for (const blob of blobs) {
    let content: ArrayBuffer;
    try {
      content = await blob.arrayBuffer();
    } catch (error) {
      throw new IdempotencyInputInvalidError(
        'The operation input cannot be fingerprinted: a file or blob in it cannot be read.',
        { cause: error },
      );
    }
    digests.set(blob, createHash('sha256').update(new Uint8Array(content)).digest());
  }
  return digests;
}

/** Encodes `input` into a fresh hash, turning any failure into {@link IdempotencyInputInvalidError}. */
function encode(
  input: unknown,
  blobDigests: Map<BlobLike, Buffer> | undefined,
): { digest: string; blobs: Set<BlobLike> | undefined } {
  const encoder = new Encoder(blobDigests);
  try {
    encoder.value(input);
    return { digest: encoder.digest(), blobs: encoder.blobs };
  } catch (error) {
    if (error instanceof IdempotencyInputInvalidError) throw error;
    throw new IdempotencyInputInvalidError(
      'The operation input cannot be fingerprinted: a value in it cannot be read.',
      { cause: error },
    );
  }
}

/** The refusal of an input, with why. */
function refuse(reason: string): IdempotencyInputInvalidError {
  return new IdempotencyInputInvalidError(`The operation input cannot be fingerprinted: ${reason}`);
}

/**
 * Writes the canonical encoding of one value into a SHA-256 hash. Without `blobDigests` it records
 * the blobs it meets in {@link blobs} (the caller reads them and encodes again with their digests).
 */
class Encoder {
  /** The blobs met without a digest; created on the first one, so input without blobs allocates none. */
  blobs: Set<BlobLike> | undefined;
  /** The streaming hash, created only once something must be flushed: most input is hashed in one call at the end. */
  private hash: Hash | undefined;
  private text = '';
  /** The containers enclosing the value being encoded, outermost first. */
  private readonly path: object[] = [];
  private containers = 0;
  /** Characters and bytes handed to the hash so far, blob digests aside. */
  private size = 0;

  constructor(private readonly blobDigests: Map<BlobLike, Buffer> | undefined) {}

  digest(): string {
    if (this.hash === undefined) {
      // Nothing was flushed: the whole encoding is this text, hashed in one call (the same digest).
      this.count(this.text.length);
      return sha256Hex(this.text);
    }
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
        return this.symbol(value);
    }
    if (value === null) return this.write('N');
    if (Array.isArray(value)) return this.array(value);
    const object = value as object;
    const prototype: object | null = Object.getPrototypeOf(object);
    if (prototype === null || Object.getPrototypeOf(prototype) === null)
      return this.properties('O', object, Object.keys(object));
    this.special(object, prototype);
  }

  /** A symbol by its registry key or description; one with neither cannot be told from another. */
  private symbol(symbol: symbol): void {
    const name = Symbol.keyFor(symbol) ?? symbol.description;
    if (name === undefined)
      throw refuse('it contains a symbol with neither a registry key (Symbol.for) nor a description.');
    this.write('y' + JSON.stringify(name));
  }

  private array(array: readonly unknown[]): void {
    this.enter(array, 'A');
    for (let index = 0; index < array.length; index++) this.value(array[index]);
    this.leave();
  }

  /** An object by `keys`, its own enumerable string-keyed properties, sorted. */
  private properties(tag: string, object: object, keys: string[]): void {
    this.enter(object, tag);
    this.fields(object, keys);
    this.leave();
  }

  /** The properties named by `keys`, sorted by key, each as its JSON-quoted key and its value. */
  private fields(object: object, keys: string[]): void {
    const record = object as Record<string, unknown>;
    for (const key of sortKeys(keys)) {
      this.write(JSON.stringify(key));
      this.value(record[key]);
    }
  }

  private special(value: object, prototype: object): void {
    if (value instanceof Date) return this.write('d' + String(value.getTime()) + ';');
    if (value instanceof RegExp) return this.write('r' + JSON.stringify(value.source) + JSON.stringify(value.flags));
    if (value instanceof Map) return this.entries('M', value, flatten(value.entries()));
    if (value instanceof Set) return this.entries('S', value, value.values());
    if (ArrayBuffer.isView(value))
      return this.bytes(value, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer)
      return this.bytes(value, new Uint8Array(value));
    if (value instanceof File) return this.blob(value, value.type, value.name);
    if (value instanceof Blob) return this.blob(value, value.type, undefined);
    if (value instanceof FormData) return this.entries('D', value, flatten(value.entries()));
    if (value instanceof URL) return this.write('L' + JSON.stringify(value.href));
    if (value instanceof URLSearchParams) return this.entries('Q', value, flatten(value.entries()));
    if (value instanceof Error) return this.error(value);
    if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) {
      this.write('X');
      return this.value(value.valueOf());
    }
    const blob = foreignBlob(value);
    if (blob) return this.blob(blob.blob, blob.type, blob.name);
    if (isStream(value)) {
      throw new IdempotencyInputInvalidError(
        'A streamed input cannot be fingerprinted; send the file in FormData or as JSON. (A tRPC File, Blob or Uint8Array input ' +
          'sent by httpLink as application/octet-stream arrives as a ReadableStream, which cannot be read without consuming it.)',
      );
    }
    this.instance(value, className(prototype));
  }

  /**
   * A class instance: by what its `toJSON()` returns. One without a `toJSON()` is refused, even when
   * it has enumerable properties: its state may also sit in `#private` fields or closures that no
   * walk can see, and two instances that differ only there would otherwise fingerprint alike.
   */
  private instance(value: object, name: string): void {
    const label = name ? `an instance of ${name}` : 'an instance of an anonymous class';
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON !== 'function') {
      throw refuse(
        `${label} has no toJSON(), so its whole value cannot be seen (state in #private fields or closures would not be ` +
          'fingerprinted, and two different values could match). Give the class a toJSON() that returns all its state, or send plain data.',
      );
    }
    const json: unknown = toJSON.call(value);
    if (json === value) throw refuse(`the toJSON() of ${label} returns the instance itself.`);
    this.enter(value, 'J' + JSON.stringify(name));
    this.value(json);
    this.leave();
  }

  /** An error by name, message, cause chain, an `AggregateError`'s errors and own enumerable properties (never the stack). */
  private error(error: Error): void {
    this.enter(error, 'E' + JSON.stringify(String(error.name)) + JSON.stringify(String(error.message)));
    if (Object.prototype.hasOwnProperty.call(error, 'cause')) {
      this.write('c');
      this.value(error.cause);
    } else {
      this.write('-');
    }
    if (error instanceof AggregateError) {
      this.write('a');
      this.value(error.errors);
    }
    this.fields(error, Object.keys(error));
    this.leave();
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
    this.count(content.byteLength);
    this.writeBytes(content);
  }

  /**
   * A blob by type, a file also by name, and the 32-byte digest of its content (recorded for
   * reading on the first pass). Never by `lastModified`, which the server sets on upload.
   */
  private blob(blob: BlobLike, type: string, name: string | undefined): void {
    this.write(name === undefined ? 'b' + JSON.stringify(type) : 'F' + JSON.stringify(name) + JSON.stringify(type));
    const digest = this.blobDigests?.get(blob);
    if (digest) this.writeBytes(digest);
    else (this.blobs ??= new Set()).add(blob);
  }

  private enter(container: object, tag: string): void {
    if (++this.containers > MAX_FINGERPRINT_CONTAINERS) {
      throw new IdempotencyInputInvalidError(
        `The operation input cannot be fingerprinted: it has more than ${MAX_FINGERPRINT_CONTAINERS} objects and arrays.`,
      );
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
    (this.hash ??= createHash('sha256')).update(bytes);
  }

  private flush(): void {
    if (this.text.length === 0) return;
    this.count(this.text.length);
    (this.hash ??= createHash('sha256')).update(this.text);
    this.text = '';
  }

  /** Counts what is about to be hashed, refusing the input past {@link MAX_FINGERPRINT_SIZE}. */
  private count(amount: number): void {
    this.size += amount;
    if (this.size > MAX_FINGERPRINT_SIZE) {
      throw refuse(
        `it amounts to more than ${MAX_FINGERPRINT_SIZE / 1024 / 1024} MiB to hash (a value referenced many times, as superjson's ` +
          'referentialEqualities allow, is hashed once per reference). Send large content once, or as a file.',
      );
    }
  }
}

/** Arrays up to this long are sorted by insertion: `Array.prototype.sort` allocates a work copy first. */
const INSERTION_SORT_MAX = 16;

/** `keys` sorted in place by UTF-16 code units, as `keys.sort()` sorts strings. */
export function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let index = 1; index < keys.length; index++) {
    const key = keys[index]!;
    let at = index;
    for (; at > 0 && keys[at - 1]! > key; at--) keys[at] = keys[at - 1]!;
    keys[at] = key;
  }
  return keys;
}

/** The pairs of an entry iterator as one flat sequence: name, value, name, value, … */
function* flatten<K, V>(pairs: Iterable<[K, V]>): Iterable<K | V> {
  for (const [name, value] of pairs) {
    yield name;
    yield value;
  }
}
