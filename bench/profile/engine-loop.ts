/**
 * Child-process entry for `npm run bench:profile`: runs the engine on the memory store in a loop,
 * `engine-loop.ts replay|first <milliseconds>`, so `node --cpu-prof` sees nothing but the engine.
 */
import { createIdempotencyEngine, createMemoryStore } from '../support/library.js';
import { operationName, paymentInput, storedPayment } from '../support/fixture.js';

const [mode, duration] = process.argv.slice(2);
if (mode !== 'replay' && mode !== 'first') throw new Error('usage: engine-loop.ts replay|first <milliseconds>');
const engine = createIdempotencyEngine({
  store: createMemoryStore({
    maxRecords: 10_000_000,
    maxRecordsPerScope: 10_000_000,
    maxBytes: 2 ** 40,
    maxBytesPerScope: 2 ** 40,
  }),
});
const run = async () => storedPayment;
const until = Date.now() + Number(duration);
for (let n = 0; Date.now() < until; n++) {
  await engine.execute({
    scope: 'user-1',
    operation: operationName,
    key: mode === 'replay' ? 'replayed-key' : `first-${n}`,
    input: paymentInput,
    run,
  });
}
