/** The telemetry scenarios' GraphQL Yoga: the Yoga harness's payments server on a real socket. */
import { post, startTestServer } from '../../../support/servers/yoga.js';
import type { Transport } from './transport.js';

/** GraphQL Yoga with useIdempotency on node:http; the HTTP request runs in an active `POST /graphql` span. */
export const yoga: Transport = {
  name: 'GraphQL Yoga',
  operations: { pay: 'createPayment', failing: 'failing' },
  parentSpan: 'POST /graphql',
  async start({ idempotency: options, hold, tracer }) {
    const server = await startTestServer({
      idempotency: options,
      beforeResolve: hold,
      wrap: (handler) => (req, res) =>
        tracer.startActiveSpan('POST /graphql', (span) => {
          res.on('close', () => span.end());
          handler(req, res);
        }),
    });
    return {
      async call({ key, user, amount, mutation = 'pay' }) {
        const field = mutation === 'pay' ? 'createPayment' : 'failing';
        const response = await post(
          server.url,
          { query: `mutation Pay($amount: Int!) { ${field}(amount: $amount) { id fence } }`, variables: { amount } },
          { 'idempotency-key': `"${key}"`, 'x-user': user },
        );
        const fence = (response.json.data?.[field] as { fence?: number } | null | undefined)?.fence;
        return { status: response.status, ...(typeof fence === 'number' ? { fence } : {}) };
      },
      runs: () => server.runs.createPayment ?? 0,
      close: () => server.close(),
    };
  },
};
