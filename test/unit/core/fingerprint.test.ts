import { describe, expect, it } from 'vitest';
import { IdempotencyInputInvalidError } from '../../../src/core/errors.js';
import { fingerprint, MAX_FINGERPRINT_DEPTH } from '../../../src/core/fingerprint.js';

/** Asserts that every value has its own fingerprint. */
async function expectDistinct(values: unknown[]): Promise<void> {
  const fingerprints = await Promise.all(values.map((value) => fingerprint(value)));
  expect(new Set(fingerprints).size).toBe(values.length);
}

/** Asserts that both values have the same fingerprint. */
async function expectSame(a: unknown, b: unknown): Promise<void> {
  expect(await fingerprint(a)).toBe(await fingerprint(b));
}

function form(fields: [string, string | Blob, string?][]): FormData {
  const data = new FormData();
  for (const [name, value, fileName] of fields) {
    if (typeof value === 'string') data.append(name, value);
    else data.append(name, value, fileName);
  }
  return data;
}

function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}

describe('fingerprint: FormData, File and Blob (bug: every form used to fingerprint the same)', () => {
  it('tells apart two forms with the same fields but different file contents, and matches the same content', async () => {
    const first = form([
      ['note', 'hello'],
      ['upload', new File(['first'], 'a.txt', { type: 'text/plain' })],
    ]);
    const second = form([
      ['note', 'hello'],
      ['upload', new File(['second'], 'a.txt', { type: 'text/plain' })],
    ]);
    const again = form([
      ['note', 'hello'],
      ['upload', new File(['first'], 'a.txt', { type: 'text/plain' })],
    ]);
    expect(await fingerprint(first)).not.toBe(await fingerprint(second));
    expect(await fingerprint(first)).toBe(await fingerprint(again));
  });

  it('hashes form entries in order, by name and by string value or file', async () => {
    await expectDistinct([
      new FormData(),
      form([
        ['a', '1'],
        ['b', '2'],
      ]),
      form([
        ['b', '2'],
        ['a', '1'],
      ]),
      form([
        ['a', '1'],
        ['b', '3'],
      ]),
      form([
        ['a', '1'],
        ['c', '2'],
      ]),
      form([
        ['a', '1'],
        ['b', new Blob(['2'])],
      ]),
      { a: '1', b: '2' },
      [
        ['a', '1'],
        ['b', '2'],
      ],
    ]);
  });

  it('hashes a File by name, type and content, not by lastModified', async () => {
    await expectSame(
      new File(['x'], 'a.txt', { type: 'text/plain', lastModified: 1 }),
      new File(['x'], 'a.txt', { type: 'text/plain', lastModified: 2 }),
    );
    await expectDistinct([
      new File(['x'], 'a.txt', { type: 'text/plain' }),
      new File(['x'], 'b.txt', { type: 'text/plain' }),
      new File(['x'], 'a.txt', { type: 'text/csv' }),
      new File(['y'], 'a.txt', { type: 'text/plain' }),
      new Blob(['x'], { type: 'text/plain' }),
    ]);
  });

  it('hashes a Blob by type and content, wherever it sits in the input', async () => {
    await expectSame({ files: [new Blob(['abc'])] }, { files: [new Blob(['ab', 'c'])] });
    await expectDistinct([
      new Blob(['abc']),
      new Blob(['abd']),
      new Blob(['abc'], { type: 'text/plain' }),
      new Blob([]),
      'abc',
      new TextEncoder().encode('abc'),
    ]);
    await expectDistinct([
      { a: new Blob(['1']), b: new Blob(['2']) },
      { a: new Blob(['2']), b: new Blob(['1']) },
    ]);
  });

  it('hashes the same Blob twice in one input like two equal Blobs', async () => {
    const blob = new Blob(['same']);
    await expectSame([blob, blob], [new Blob(['same']), new Blob(['same'])]);
  });
});

describe('fingerprint: object keys (bug: constructor, prototype and __proto__ used to be refused)', () => {
  it('accepts constructor, prototype and __proto__ keys and tells them from an empty object', async () => {
    await expectDistinct([
      {},
      { constructor: 1 },
      { prototype: 'x' },
      JSON.parse('{"__proto__": 1}'),
      { constructor: 2 },
      JSON.parse('{"__proto__": 2}'),
    ]);
  });

  it('reads own properties only, never the prototype chain', async () => {
    const withNullPrototype = Object.assign(Object.create(null) as object, { b: 2, a: 1 });
    await expectSame(withNullPrototype, { a: 1, b: 2 });
    await expectSame(JSON.parse('{"__proto__": {"a": 1}, "b": 2}'), JSON.parse('{"b": 2, "__proto__": {"a": 1}}'));
    await expectDistinct([JSON.parse('{"__proto__": {"a": 1}}'), { a: 1 }]);
  });

  it('tells undefined, null and a missing key apart', async () => {
    await expectDistinct([{}, { a: undefined }, { a: null }, [undefined], [null], [], undefined, null]);
  });

  it('reads an array hole as undefined', async () => {
    // eslint-disable-next-line no-sparse-arrays
    await expectSame([1, , 3], [1, undefined, 3]);
  });
});

describe('fingerprint: values are tagged by type', () => {
  it('tells numbers, their edge values and strings apart', async () => {
    await expectDistinct([
      0,
      -0,
      NaN,
      Infinity,
      -Infinity,
      1,
      1n,
      '1',
      '0',
      '-0',
      'NaN',
      'Infinity',
      true,
      'true',
      false,
      null,
      'null',
      undefined,
      'undefined',
    ]);
    await expectSame(0.1 + 0.2, 0.30000000000000004);
  });

  it('cannot be fooled by separators inside strings', async () => {
    await expectDistinct([
      ['a,b'],
      ['a', 'b'],
      ['ab', 'c'],
      ['a', 'bc'],
      ['abc'],
      ['a', 's'],
      ['as', ''],
      ['"a"'],
      ['a"', ''],
      ['a)', ''],
    ]);
    await expectDistinct([
      { a: 'b' },
      { 'a"': 'b' },
      { ab: '' },
      { as: 'b' },
      { a: 'sb' },
      { a: 'b', c: 1 },
      { 'as"b"c': 1 },
    ]);
  });

  it('tells lone surrogates apart (they are not collapsed to U+FFFD)', async () => {
    await expectDistinct(['\uD800', '\uDC00', '\uFFFD', '\uD83D\uDE00']);
    await expectDistinct([{ '\uD800': 1 }, { '\uDC00': 1 }]);
  });

  it('hashes dates by time, an invalid date included', async () => {
    await expectSame(new Date(0), new Date('1970-01-01T00:00:00Z'));
    await expectDistinct([new Date(0), new Date(1), new Date(NaN), NaN, 0, new Date(0).toISOString()]);
  });

  it('hashes regular expressions by source and flags', async () => {
    await expectSame(/a+/g, new RegExp('a+', 'g'));
    await expectDistinct([/a+/g, /a+/i, /a/g, 'a+', '/a+/g']);
  });

  it('hashes maps and sets by entries in order, apart from arrays and objects', async () => {
    await expectSame(
      new Map<unknown, unknown>([
        ['a', 1],
        [{ x: 1 }, new Set([2])],
      ]),
      new Map<unknown, unknown>([
        ['a', 1],
        [{ x: 1 }, new Set([2])],
      ]),
    );
    await expectDistinct([
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
      new Map([
        ['b', 2],
        ['a', 1],
      ]),
      [
        ['a', 1],
        ['b', 2],
      ],
      { a: 1, b: 2 },
      new Set(['a', 1, 'b', 2]),
      ['a', 1, 'b', 2],
      new Map(),
      new Set(),
      [],
      {},
    ]);
    await expectDistinct([new Set([1, 2]), new Set([2, 1]), [1, 2]]);
  });

  it('hashes binary data by bytes and kind: typed arrays, DataView, ArrayBuffer, Buffer', async () => {
    const bytes = new Uint8Array([0, 1, 2, 3, 4]);
    await expectSame(Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 3]));
    await expectSame(bytes.subarray(1, 3), new Uint8Array([1, 2]));
    await expectSame(new DataView(bytes.buffer, 1, 2), new DataView(new Uint8Array([1, 2]).buffer));
    await expectDistinct([
      new Uint8Array([1, 2]),
      new Uint8Array([1, 3]),
      new Uint8Array([1, 2, 0]),
      new Int8Array([1, 2]),
      new Uint8Array([1, 2]).buffer,
      new DataView(new Uint8Array([1, 2]).buffer),
      [1, 2],
      new Uint16Array([0x0201]),
    ]);
  });

  it('hashes a URL by href, URLSearchParams by entries, an Error by name and message (more below)', async () => {
    await expectSame(new URL('https://example.com/a?b=1'), new URL('https://EXAMPLE.com/a?b=1'));
    await expectDistinct([new URL('https://example.com/a'), new URL('https://example.com/b'), 'https://example.com/a']);
    await expectDistinct([
      new URLSearchParams('a=1&b=2'),
      new URLSearchParams('b=2&a=1'),
      new URLSearchParams('a=1'),
      form([
        ['a', '1'],
        ['b', '2'],
      ]),
    ]);
    await expectSame(new Error('boom'), new Error('boom'));
    await expectDistinct([new Error('boom'), new Error('bang'), new TypeError('boom'), 'boom']);
  });

  it('hashes boxed primitives by value', async () => {
    await expectDistinct([Object(1), Object(2), Object('1'), Object(true), Object(1n), 1]);
  });

  it('hashes a class instance by class name and toJSON()', async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      toJSON() {
        return { x: this.x, y: this.y };
      }
    }
    class Vector extends Point {}
    await expectSame(new Point(1, 2), new Point(1, 2));
    await expectDistinct([new Point(1, 2), new Point(2, 1), new Vector(1, 2), { x: 1, y: 2 }]);
  });

  it('treats functions as opaque but present values', async () => {
    await expectSame({ f: () => 1 }, { f: () => 2 });
    await expectDistinct([{ f: () => 1 }, { f: Symbol('s') }, { f: undefined }, {}, { f: 'f' }, { f: 's' }]);
  });

  it('returns a SHA-256 hex digest', async () => {
    expect(await fingerprint({ a: [1, 'b', new Blob(['c'])] })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('fingerprint: input it refuses', () => {
  it(`accepts ${MAX_FINGERPRINT_DEPTH} levels of nesting and refuses one more, with a clear message`, async () => {
    await expect(fingerprint(nested(MAX_FINGERPRINT_DEPTH))).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(fingerprint(nested(MAX_FINGERPRINT_DEPTH + 1))).rejects.toThrow(/nested deeper than 1000 levels/);
    await expect(fingerprint(nested(1_000_000))).rejects.toBeInstanceOf(IdempotencyInputInvalidError);
  });

  it('refuses cycles in objects, arrays, maps and sets', async () => {
    const object: Record<string, unknown> = { a: 1 };
    object.self = { back: object };
    const array: unknown[] = [1];
    array.push(array);
    const map = new Map<string, unknown>();
    map.set('self', map);
    const set = new Set<unknown>();
    set.add({ set });
    for (const cyclic of [object, array, map, set]) {
      await expect(fingerprint(cyclic)).rejects.toThrow(IdempotencyInputInvalidError);
      await expect(fingerprint(cyclic)).rejects.toThrow(/contains a cycle/);
    }
  });

  it('accepts a value shared by two branches (no cycle) like two copies of it', async () => {
    const shared = { a: [1, 2] };
    await expectSame({ x: shared, y: shared }, { x: { a: [1, 2] }, y: { a: [1, 2] } });
  });

  it('turns a property that cannot be read into a typed 400 error', async () => {
    const input = Object.defineProperty({}, 'broken', {
      enumerable: true,
      get() {
        throw new Error('unreadable');
      },
    });
    const error = await fingerprint(input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IdempotencyInputInvalidError);
    expect((error as IdempotencyInputInvalidError).status).toBe(400);
  });
});

describe('fingerprint of an input whose objects share children (a DAG)', () => {
  it('refuses it with 400 IDEMPOTENCY_INPUT_INVALID instead of walking it exponentially often', async () => {
    let node: object = { leaf: true };
    for (let level = 0; level < 40; level++) node = { left: node, right: node }; // 2^40 paths
    await expect(fingerprint(node)).rejects.toMatchObject({ code: 'IDEMPOTENCY_INPUT_INVALID', status: 400 });
  });
});
