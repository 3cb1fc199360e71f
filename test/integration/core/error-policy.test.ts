import { describe, expect, it } from 'vitest';
import { type BodyOutcome, type RunContext } from '../../../src/index.js';
import { keepsRecord, RETURNED } from '../../../src/adapter-kit.js';
import { engineStores, setupEngine } from '../../support/engine.js';

/** What a body hands back when it ended in a coded error (as adapters do for GraphQL errors and TRPCErrors). */
interface Reply {
  attempt: number;
  error?: { status?: number; coded: boolean };
}

const thrown = (status: number | undefined, coded = true): BodyOutcome => ({
  returned: false,
  coded,
  ...(status === undefined ? {} : { status }),
});

describe('keepsRecord (the one error policy)', () => {
  it.each<[string, BodyOutcome, boolean]>([
    ['returned', RETURNED, true],
    ['coded 400', thrown(400), true],
    ['coded 401', thrown(401), true],
    ['coded 403', thrown(403), true],
    ['coded 404', thrown(404), true],
    ['coded 422', thrown(422), true],
    ['coded without a status', thrown(undefined), true],
    ['coded 408', thrown(408), false],
    ['coded 409', thrown(409), false],
    ['coded 425', thrown(425), false],
    ['coded 429', thrown(429), false],
    ['coded 500', thrown(500), false],
    ['coded 502', thrown(502), false],
    ['coded 503', thrown(503), false],
    ['coded 504', thrown(504), false],
    ['uncoded', thrown(undefined, false), false],
    ['uncoded with a 400 status', thrown(400, false), false],
  ])('%s → kept: %s', (_name, outcome, kept) => {
    expect(keepsRecord(outcome)).toBe(kept);
  });
});

describe.each(engineStores('policy'))('error policy applied by the engine on the %s store', (_name, makeStore) => {
  const request = { scope: 'user-1', operation: 'createCharge', input: { amount: 100 } };
  let keys = 0;
  const freshKey = () => `policy-${++keys}`;

  /**
   * Runs the same keyed request twice; the first attempt's body ends with `first` (coded errors are
   * handed back as values, as adapters do), any later one returns. Answers what each call got.
   */
  async function twice(first: BodyOutcome, extra: { shouldStore?: (value: Reply) => boolean } = {}) {
    const { engine, types, events } = setupEngine(makeStore());
    const key = freshKey();
    const contexts: RunContext[] = [];
    let runs = 0;
    const run = async (context: RunContext): Promise<Reply> => {
      contexts.push(context);
      runs++;
      if (runs === 1 && !first.returned)
        return {
          attempt: runs,
          error: { coded: first.coded, ...(first.status === undefined ? {} : { status: first.status }) },
        };
      return { attempt: runs };
    };
    const outcome = (value: Reply): BodyOutcome => (value.error ? { returned: false, ...value.error } : RETURNED);
    const one = await engine.execute({ ...request, key, run, outcome, ...extra });
    const two = await engine.execute({ ...request, key, run, outcome, ...extra });
    return { one, two, runs: () => runs, contexts, types, events };
  }

  it('stores and replays a body that returned', async () => {
    const { one, two, runs, types } = await twice(RETURNED);
    expect(runs()).toBe(1);
    expect(one).toEqual({ value: { attempt: 1 }, replayed: false });
    expect(two).toEqual({ value: { attempt: 1 }, replayed: true });
    expect(types()).toEqual(['executed', 'replayed']);
  });

  it.each([400, 404, 422])(
    'stores a coded %i and replays the same error value, never running again',
    async (status) => {
      const { one, two, runs, types } = await twice(thrown(status));
      expect(runs()).toBe(1);
      expect(one).toEqual({ value: { attempt: 1, error: { coded: true, status } }, replayed: false });
      expect(two).toEqual({ value: { attempt: 1, error: { coded: true, status } }, replayed: true });
      expect(types()).toEqual(['executed', 'replayed']);
    },
  );

  it('stores a coded error without a status (a client error by default)', async () => {
    const { two, runs } = await twice(thrown(undefined));
    expect(runs()).toBe(1);
    expect(two.replayed).toBe(true);
  });

  it.each([408, 409, 425, 429, 503, 500, 502])(
    'frees the key after a coded %i: the retry runs again with fence 2',
    async (status) => {
      const { one, two, runs, contexts, types } = await twice(thrown(status));
      expect(runs()).toBe(2);
      expect(one).toEqual({ value: { attempt: 1, error: { coded: true, status } }, replayed: false });
      expect(two).toEqual({ value: { attempt: 2 }, replayed: false });
      expect(contexts.map((context) => [context.fence, context.takeover])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect(types()).toEqual(['released', 'executed']);
    },
  );

  it('frees the key after an uncoded error handed back through outcome', async () => {
    const { two, runs, contexts } = await twice(thrown(undefined, false));
    expect(runs()).toBe(2);
    expect(two).toEqual({ value: { attempt: 2 }, replayed: false });
    expect(contexts.map((context) => context.fence)).toEqual([1, 2]);
  });

  it('frees the key when the body throws (an unexpected error), and the caller gets that error', async () => {
    const { engine, types } = setupEngine(makeStore());
    const key = freshKey();
    const fences: Array<number | undefined> = [];
    const run = async ({ fence }: RunContext) => {
      fences.push(fence);
      if (fences.length === 1) throw new Error('database timeout');
      return 'second attempt';
    };
    await expect(engine.execute({ ...request, key, run })).rejects.toThrow('database timeout');
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({
      value: 'second attempt',
      replayed: false,
    });
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({
      value: 'second attempt',
      replayed: true,
    });
    expect(fences).toEqual([1, 2]);
    expect(types()).toEqual(['released', 'executed', 'replayed']);
  });

  it('frees the key when shouldStore says no, even for a body that returned', async () => {
    const { two, runs, contexts, types } = await twice(RETURNED, { shouldStore: () => false });
    expect(runs()).toBe(2);
    expect(two).toEqual({ value: { attempt: 2 }, replayed: false });
    expect(contexts.map((context) => context.fence)).toEqual([1, 2]);
    expect(types()).toEqual(['released', 'released']);
  });

  it('stores a transient error when shouldStore says yes', async () => {
    const { two, runs } = await twice(thrown(503), { shouldStore: () => true });
    expect(runs()).toBe(1);
    expect(two).toEqual({ value: { attempt: 1, error: { coded: true, status: 503 } }, replayed: true });
  });

  it('when shouldStore throws, stores what the default policy keeps and reports a policy-error', async () => {
    const broken = new Error('broken policy');
    const shouldStore = () => {
      throw broken;
    };
    const { one, two, runs, events } = await twice(RETURNED, { shouldStore });
    expect(runs()).toBe(1);
    expect(one).toEqual({ value: { attempt: 1 }, replayed: false });
    expect(two).toEqual({ value: { attempt: 1 }, replayed: true });
    expect(events.map((event) => event.type)).toEqual(['policy-error', 'executed', 'replayed']);
    expect(events[0]).toMatchObject({ type: 'policy-error', operation: 'createCharge', fence: 1, error: broken });
    expect(events[0]!.recordId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('when shouldStore throws on a transient error, the default policy frees the key', async () => {
    const shouldStore = () => {
      throw new Error('broken policy');
    };
    const { two, runs, types } = await twice(thrown(429), { shouldStore });
    expect(runs()).toBe(2);
    expect(two).toEqual({ value: { attempt: 2 }, replayed: false });
    expect(types()).toEqual(['policy-error', 'released', 'policy-error', 'executed']);
  });

  it('when outcome throws, stores the value of the body that returned, reports a policy-error and never holds the key', async () => {
    const { engine, events, types } = setupEngine(makeStore(), { lease: 60 });
    const key = freshKey();
    let runs = 0;
    const run = async () => ++runs;
    const broken = new Error('cannot classify');
    const outcome = (): BodyOutcome => {
      throw broken;
    };
    await expect(engine.execute({ ...request, key, run, outcome })).resolves.toEqual({ value: 1, replayed: false });
    await expect(engine.execute({ ...request, key, run, outcome })).resolves.toEqual({ value: 1, replayed: true });
    expect(runs).toBe(1);
    expect(types()).toEqual(['policy-error', 'executed', 'replayed']);
    expect(events[0]).toMatchObject({ fence: 1, error: broken });
  });
});
