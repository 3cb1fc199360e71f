import { describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyConcurrentRequestError,
  type ExecutionEnd,
  type ExecutionStart,
  type IdempotencyEvent,
} from '../../../src/index.js';
import { recordId } from '../../../src/adapter-kit.js';
import { deferred, until } from '../../support/engine.js';

/** The `instrument` option: a start, the events and an end per keyed execution. */
describe('instrument option', () => {
  function observed() {
    const executions: { start: ExecutionStart; events: IdempotencyEvent[]; ends: ExecutionEnd[] }[] = [];
    const instrument = (start: ExecutionStart) => {
      const execution = { start, events: [] as IdempotencyEvent[], ends: [] as ExecutionEnd[] };
      executions.push(execution);
      return {
        onEvent: (event: IdempotencyEvent) => execution.events.push(event),
        end: (ending: ExecutionEnd) => execution.ends.push(ending),
      };
    };
    return { executions, instrument };
  }
  const request = { scope: 'user-1', operation: 'pay', key: 'k-1', input: { amount: 1 } };

  it('follows each keyed execution apart, even while two of one record overlap', async () => {
    const { executions, instrument } = observed();
    const onEvent: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store: createMemoryStore(),
      instrument,
      onEvent: (event) => onEvent.push(event),
    });
    const gate = deferred<string>();
    const first = engine.execute({ ...request, run: () => gate.promise });
    await until(() => executions.length === 1);
    await expect(engine.execute({ ...request, run: async () => 'never' })).rejects.toBeInstanceOf(
      IdempotencyConcurrentRequestError,
    );
    gate.resolve('charged');
    await first;
    await engine.execute({ ...request, run: async () => 'never' });
    await engine.execute({ ...request, key: undefined, run: async () => 'unkeyed' });
    await engine.execute({ ...request, scope: undefined, run: async () => 'never' }).catch(() => undefined);

    const id = recordId('user-1', 'pay', 'k-1');
    expect(
      executions.map(({ start, events, ends }) => ({
        start,
        types: events.map((event) => event.type),
        ends: ends.map((end) => (end.ok ? end : { ok: false, error: (end.error as Error).name })),
      })),
    ).toEqual([
      { start: { operation: 'pay', recordId: id }, types: ['executed'], ends: [{ ok: true, replayed: false }] },
      {
        start: { operation: 'pay', recordId: id },
        types: ['conflict'],
        ends: [{ ok: false, error: 'IdempotencyConcurrentRequestError' }],
      },
      { start: { operation: 'pay', recordId: id }, types: ['replayed'], ends: [{ ok: true, replayed: true }] },
      {
        start: { operation: 'pay', recordId: '' },
        types: ['scope-missing'],
        ends: [{ ok: false, error: 'IdempotencyScopeMissingError' }],
      },
    ]);
    // onEvent still gets every event, first.
    expect(onEvent.map((event) => event.type)).toEqual(['conflict', 'executed', 'replayed', 'scope-missing']);
  });

  it('is told of a body that threw, with its error', async () => {
    const { executions, instrument } = observed();
    const engine = createIdempotencyEngine({ instrument });
    const failure = new Error('boom');
    await expect(engine.execute({ ...request, run: async () => Promise.reject(failure) })).rejects.toBe(failure);
    expect(executions[0]?.events.map((event) => event.type)).toEqual(['released']);
    expect(executions[0]?.ends).toEqual([{ ok: false, error: failure }]);
  });

  it('cannot change an outcome by throwing', async () => {
    const throwing = createIdempotencyEngine({
      instrument: () => {
        throw new Error('instrument');
      },
    });
    await expect(throwing.execute({ ...request, run: async () => 1 })).resolves.toEqual({ value: 1, replayed: false });
    const faultyObserver = createIdempotencyEngine({
      instrument: () => ({
        onEvent: () => {
          throw new Error('onEvent');
        },
        end: () => {
          throw new Error('end');
        },
      }),
    });
    await expect(faultyObserver.execute({ ...request, run: async () => 2 })).resolves.toEqual({
      value: 2,
      replayed: false,
    });
    await expect(faultyObserver.execute({ ...request, run: async () => 3 })).resolves.toEqual({
      value: 2,
      replayed: true,
    });
  });
});
