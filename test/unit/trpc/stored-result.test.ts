import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { resultCodec } from '../../../src/trpc/stored-result.js';

const codec = resultCodec<object>();
const marker = 'middlewareMarker' as never;

/** Stores a failed result and reads it back, as a replay does. */
function roundTrip(error: TRPCError): TRPCError {
  const replayed = codec.parse(codec.stringify({ marker, ok: false, error }));
  if (replayed.ok) throw new Error('expected a failed result');
  return replayed.error;
}

describe('resultCodec (how a procedure result is stored and replayed)', () => {
  it('rebuilds a TRPCError with its code, message and whole cause chain, own properties in order; not its stack', () => {
    const root = Object.assign(new Error('socket hang up'), { errno: -104, at: new Date(0) });
    const cause = Object.assign(new RangeError('limit reached', { cause: root }), {
      limit: 10n,
      details: { tier: 'free' },
    });
    const replayed = roundTrip(new TRPCError({ code: 'FORBIDDEN', message: 'Over the limit', cause }));

    expect(replayed).toBeInstanceOf(TRPCError);
    expect([replayed.code, replayed.message]).toEqual(['FORBIDDEN', 'Over the limit']);
    expect(replayed.cause).toBeInstanceOf(Error);
    expect([replayed.cause?.name, replayed.cause?.message]).toEqual(['RangeError', 'limit reached']);
    expect({ ...replayed.cause }).toEqual({ limit: 10n, details: { tier: 'free' } });
    expect(Object.keys(replayed.cause ?? {})).toEqual(['limit', 'details']);
    expect(replayed.cause?.stack).not.toBe(cause.stack);
    const rootReplayed = replayed.cause?.cause as Error & { errno: number; at: Date };
    expect([rootReplayed.message, rootReplayed.errno, rootReplayed.at]).toEqual(['socket hang up', -104, new Date(0)]);
  });

  it('keeps a named own `name` enumerable, as the original had it, and stops at a cause cycle', () => {
    const cause = new Error('loop') as Error & { cause: unknown };
    cause.name = 'LoopError';
    cause.cause = cause;
    const replayed = roundTrip(new TRPCError({ code: 'CONFLICT', cause }));

    expect(Object.keys(replayed.cause ?? {})).toEqual(['name']);
    expect(replayed.cause?.name).toBe('LoopError');
    expect(replayed.cause?.cause).toBeUndefined();
  });

  it('replays an output with its types', () => {
    const data = { at: new Date(1), ledger: new Map([[1, 'x']]), cents: 5n, nothing: undefined };
    const replayed = codec.parse(codec.stringify({ marker, ok: true, data }));

    expect(replayed).toEqual({ marker: 'middlewareMarker', ok: true, data });
  });
});
