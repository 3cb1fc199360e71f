import type { PaymentApi } from '../api-dependencies.js';
import { InstanceGoneError } from '../payment-route.js';
import { VARIANT_HEADER } from './messages.js';

/** Request headers of one hop, which a relayed request must not copy. */
const HOP_HEADERS = ['connection', 'keep-alive', 'host', 'content-length', 'transfer-encoding'];

/**
 * The load balancer's link to instance A at `port`: relays a payment request with the variant the
 * switches ask for, and reads the whole answer. Rejects with `InstanceGoneError` when A dies first.
 */
export function forwardTo(port: number): PaymentApi {
  return async (request, variant) => {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    for (const name of HOP_HEADERS) headers.delete(name);
    headers.set(VARIANT_HEADER, variant);
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    try {
      const response = await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body,
      });
      return new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers });
    } catch (error) {
      throw new InstanceGoneError('instance A closed the connection without answering', { cause: error });
    }
  };
}
