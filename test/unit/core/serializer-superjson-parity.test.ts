// The result serializer's plain-data fast path writes text byte-identical to superjson's for every
// value it takes, and hands any other value to superjson (src/core/serializer.ts): odd arrays and
// dates it must hand over. Origin: an adversarial review of the performance changes.
import SuperJSON from 'superjson';
import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, createMemoryStore } from '../../../src/index.js';
import { superjsonInstance as serializer } from '../../../src/core/serializer.js';

const reference = new SuperJSON();

describe('result serializer fast path against superjson', () => {
  it('an array with a hole and as many extra properties as holes is written as superjson writes it', () => {
    // Object.keys(value).length === value.length although the own keys are not the indices.
    const value: unknown[] & { note?: string } = [1, , 3]; // eslint-disable-line no-sparse-arrays
    value.note = 'x';
    expect(serializer.stringify(value)).toBe(reference.stringify(value)); // ours: meta values {"1":["undefined"]}
  });

  it('an array whose index is not enumerable, with an extra property, is written as superjson writes it', () => {
    const value: unknown[] & { note?: string } = [1, 2];
    Object.defineProperty(value, 0, { value: 1, enumerable: false, writable: true, configurable: true });
    value.note = 'x';
    expect(serializer.stringify(value)).toBe(reference.stringify(value)); // ours {"json":[1,2]}, superjson {"json":[null,2]}
  });

  it('an array with a hole and an own toJSON is written as superjson writes it', () => {
    const value: unknown[] & { toJSON?: () => string } = [, 1]; // eslint-disable-line no-sparse-arrays
    value.toJSON = () => 'from toJSON';
    expect(serializer.stringify(value)).toBe(reference.stringify(value));
  });

  it('a Date whose valueOf is NaN (superjson: not a Date) is written as superjson writes it', () => {
    const value = new Date(0);
    Object.defineProperty(value, 'valueOf', { value: () => NaN });
    // ours: a "Date" annotation (getTime), superjson: {"json":null} (valueOf, as JSON.stringify does)
    expect(serializer.stringify(value)).toBe(reference.stringify(value));
  });

  it('a replay through the core engine answers what superjson reads back, not another value', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    const produce = () => {
      const value: unknown[] & { note?: string } = [1, , 3]; // eslint-disable-line no-sparse-arrays
      value.note = 'x';
      return value;
    };
    const request = { scope: 'u', operation: 'op', key: 'k', input: {}, run: async () => produce() };
    await engine.execute(request);
    const replay = await engine.execute(request);
    expect(replay.replayed).toBe(true);
    // superjson gives [1, null, 3] (the hole written as null, as JSON.stringify of the original does);
    // the fast path's text reads back [1, undefined, 3].
    expect(replay.value).toStrictEqual(reference.parse(reference.stringify(produce())));
  });
});
