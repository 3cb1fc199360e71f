/**
 * Values that must not fingerprint alike when the requests differ (else one request is answered with
 * another's result), and input too costly to hash.
 * Origin: regressions found by reviews A / B — every octet-stream input fingerprinted the same, only
 * an error's name and message were hashed, every symbol hashed the same, Yoga's PonyfillFile uploads
 * were not read as blobs, a 1 MB superjson request took seconds to hash.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { Readable } from 'node:stream';
// The blob classes Yoga hands a resolver for a multipart upload: not `instanceof Blob` / `File`.
import {
  File as PonyfillFile,
  Blob as PonyfillBlob,
  ReadableStream as PonyfillReadableStream,
} from '@whatwg-node/node-fetch';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { IdempotencyInputInvalidError } from '../../../src/core/errors.js';
import { fingerprint, MAX_FINGERPRINT_SIZE } from '../../../src/core/fingerprint.js';
import { Money } from '../../support/money.js';

async function expectDistinct(values: unknown[]): Promise<void> {
  const fingerprints = await Promise.all(values.map((value) => fingerprint(value)));
  expect(new Set(fingerprints).size).toBe(values.length);
}

async function expectSame(a: unknown, b: unknown): Promise<void> {
  expect(await fingerprint(a)).toBe(await fingerprint(b));
}

/** Asserts that `value` is refused with 400 IDEMPOTENCY_INPUT_INVALID and a message matching `message`. */
async function expectRefused(value: unknown, message: RegExp): Promise<void> {
  const error = await fingerprint(value).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(IdempotencyInputInvalidError);
  expect(error).toMatchObject({ code: 'IDEMPOTENCY_INPUT_INVALID', status: 400 });
  expect((error as Error).message).toMatch(message);
}

describe('fingerprint: streams are refused', () => {
  it('refuses a ReadableStream (a tRPC octet-stream input) with a clear 400, without reading it', async () => {
    const stream = new Response('picture of alice').body!;
    await expectRefused(stream, /^A streamed input cannot be fingerprinted; send the file in FormData or as JSON/);
    await expectRefused({ avatar: new Response('x').body }, /streamed input/);
    expect(stream.locked).toBe(false);
    expect(await new Response(stream).text()).toBe('picture of alice'); // still readable by the procedure
  });

  it('refuses a ReadableStream of another implementation, a Node.js Readable and any async iterable', async () => {
    await expectRefused(new PonyfillReadableStream(), /streamed input/);
    await expectRefused(Readable.from(['a']), /streamed input/);
    await expectRefused((async function* () {})(), /streamed input/);
  });
});

describe('fingerprint: class instances (GraphQL custom scalars: private state hashed as empty)', () => {
  class JsonMoney extends Money {
    toJSON(): string {
      return `${this.cents} cents`;
    }
  }

  it('refuses an instance without toJSON() instead of hashing what it can see of it', async () => {
    await expectRefused({ amount: new Money(500n) }, /an instance of Money has no toJSON\(\)/);
    // Round 3 R2: one public field beside #private state; hashing the field alone would match 5 € and 5 000 €.
    class Labelled extends Money {
      readonly currency = 'EUR';
    }
    await expectRefused(
      new Labelled(500n),
      /an instance of Labelled has no toJSON\(\), so its whole value cannot be seen/,
    );
    await expectRefused(new (class {})(), /an instance of an anonymous class/);
    await expectRefused(Promise.resolve(1), /an instance of Promise/);
    await expectRefused(new WeakMap(), /an instance of WeakMap/);
  });

  it('hashes an instance with toJSON() by what it returns, with its class name', async () => {
    await expectSame(new JsonMoney(500n), new JsonMoney(500n));
    await expectDistinct([new JsonMoney(500n), new JsonMoney(500_000n), '500 cents', { toJSON: () => '500 cents' }]);
    class Other {
      toJSON() {
        return '500 cents';
      }
    }
    await expectDistinct([new JsonMoney(500n), new Other()]);
  });

  it('prefers toJSON() to enumerable properties, and refuses a toJSON() that returns the instance', async () => {
    class Tagged {
      constructor(
        readonly hidden: number,
        private readonly shown: number,
      ) {}
      toJSON() {
        return { shown: this.shown };
      }
    }
    await expectSame(new Tagged(1, 2), new Tagged(99, 2));
    await expectDistinct([new Tagged(1, 2), new Tagged(1, 3)]);
    class Selfish {
      readonly x = 1;
      toJSON() {
        return this;
      }
    }
    await expectRefused(new Selfish(), /toJSON\(\) of an instance of Selfish returns the instance itself/);
  });

  it('turns a toJSON() that throws into a typed 400', async () => {
    class Broken {
      toJSON(): never {
        throw new Error('no');
      }
    }
    await expectRefused(new Broken(), /cannot be read/);
  });
});

describe('fingerprint: errors, whole', () => {
  it('hashes the cause, down the chain', async () => {
    const refund = (order: string) => new Error('refund failed', { cause: { order } });
    await expectSame(refund('order-1'), refund('order-1'));
    await expectDistinct([
      refund('order-1'),
      refund('order-2'),
      new Error('refund failed'),
      new Error('refund failed', { cause: undefined }),
      new Error('refund failed', { cause: new Error('a', { cause: 1 }) }),
      new Error('refund failed', { cause: new Error('a', { cause: 2 }) }),
    ]);
  });

  it("hashes own enumerable properties and an AggregateError's errors, never the stack", async () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    await expectSame(coded('E1'), coded('E1')); // created on different lines' stacks alike
    await expectDistinct([coded('E1'), coded('E2'), new Error('x')]);
    await expectDistinct([
      new AggregateError([new Error('a')], 'm'),
      new AggregateError([new Error('b')], 'm'),
      new AggregateError([], 'm'),
    ]);
  });

  it('hashes an Error as superjson deserializes it (name, message, cause)', async () => {
    const sent = (order: string) =>
      superjson.deserialize(superjson.serialize({ problem: new Error('refund failed', { cause: { order } }) }));
    await expectSame(sent('order-1'), sent('order-1'));
    await expectDistinct([sent('order-1'), sent('order-2')]);
  });

  it('refuses an error that is its own cause as a cycle', async () => {
    const error = new Error('loop');
    error.cause = error;
    await expectRefused(error, /cycle/);
  });
});

describe('fingerprint: symbols, each its own', () => {
  it('hashes a symbol by its registry key or description', async () => {
    await expectSame(Symbol('credit'), Symbol('credit'));
    await expectSame(Symbol.for('credit'), Symbol.for('credit'));
    await expectDistinct([
      Symbol('credit'),
      Symbol('debit'),
      'credit',
      Symbol(''),
      { side: Symbol('credit') },
      { side: 'credit' },
    ]);
  });

  it('refuses a symbol with neither a registry key nor a description', async () => {
    await expectRefused({ side: Symbol() }, /a symbol with neither a registry key/);
  });
});

describe('fingerprint: blobs of other implementations (Yoga uploads are PonyfillFile)', () => {
  const upload = (content: string, lastModified = Date.now(), name = 'import.csv', type = 'text/csv') =>
    new PonyfillFile([content], name, { type, lastModified });

  it('hashes a PonyfillFile by name, type and content, like a native File, never by lastModified', async () => {
    expect(upload('a') instanceof File).toBe(false);
    await expectSame(upload('a,b\n1,2\n', 1), upload('a,b\n1,2\n', 2));
    await expectSame(
      upload('a,b\n1,2\n', 1),
      new File(['a,b\n1,2\n'], 'import.csv', { type: 'text/csv', lastModified: 3 }),
    );
    await expectDistinct([
      upload('a,b\n1,2\n'),
      upload('x,y\n9,9\n'),
      upload('a,b\n1,2\n', 1, 'other.csv'),
      upload('a,b\n1,2\n', 1, 'import.csv', 'text/plain'),
    ]);
  });

  it('hashes a PonyfillBlob like a Blob, and any object tagged Blob or File with arrayBuffer() by content', async () => {
    await expectSame(new PonyfillBlob(['abc'], { type: 'text/plain' }), new Blob(['abc'], { type: 'text/plain' }));
    const tagged = (content: string, tag: 'Blob' | 'File') => ({
      [Symbol.toStringTag]: tag,
      type: 'text/plain',
      name: 'a.txt',
      arrayBuffer: async () => new TextEncoder().encode(content).buffer,
    });
    const taggedInstance = (content: string, tag: 'Blob' | 'File') =>
      Object.setPrototypeOf(tagged(content, tag), class Foreign {}.prototype) as object;
    await expectSame(taggedInstance('abc', 'Blob'), new Blob(['abc'], { type: 'text/plain' }));
    await expectSame(taggedInstance('abc', 'File'), new File(['abc'], 'a.txt', { type: 'text/plain' }));
    await expectDistinct([taggedInstance('abc', 'Blob'), taggedInstance('abd', 'Blob')]);
  });

  it('hashes the same ponyfill blob referenced twice like two equal ones, and in FormData-like containers', async () => {
    const file = upload('same', 1);
    await expectSame([file, file], [upload('same', 2), upload('same', 3)]);
    await expectSame({ variables: { file: upload('x', 1) } }, { variables: { file: upload('x', 2) } });
  });
});

describe('fingerprint: the work is bounded', () => {
  /** A superjson request of ~1 MB whose `referentialEqualities` point `refs` entries at one object holding a 1 MB string. */
  const sharedInput = (refs: number) =>
    superjson.deserialize<unknown[]>({
      json: [{ s: 'x'.repeat(1_000_000) }, ...Array.from({ length: refs - 1 }, () => null)],
      meta: { referentialEqualities: { '0': Array.from({ length: refs - 1 }, (_, i) => String(i + 1)) } },
    } as never);

  it(`refuses input that amounts to more than ${MAX_FINGERPRINT_SIZE} characters and bytes to hash, promptly`, async () => {
    const input = sharedInput(1_000);
    expect(input[999]).toBe(input[0]);
    const started = process.cpuUsage(); // CPU, not wall time: a busy machine must not fail it
    await expectRefused(input, /more than 16 MiB to hash/);
    const { user, system } = process.cpuUsage(started);
    expect((user + system) / 1_000).toBeLessThan(1_000);
    const bytes = new Uint8Array(1_000_000);
    await expectRefused(
      Array.from({ length: 100 }, () => bytes),
      /more than 16 MiB/,
    );
  });

  it('accepts the same value referenced a few times, and one large string', async () => {
    await expect(fingerprint(sharedInput(10))).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(fingerprint({ s: 'y'.repeat(MAX_FINGERPRINT_SIZE - 100) })).resolves.toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not count blob content: each blob is digested once', async () => {
    const big = new Blob([new Uint8Array(4 * 1024 * 1024)]);
    await expect(fingerprint(Array.from({ length: 10 }, () => big))).resolves.toMatch(/^[0-9a-f]{64}$/);
  });
});
