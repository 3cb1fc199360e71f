import { Agent, request } from 'node:http';

/** What came back: the status, the headers that matter here, and the body text. */
export interface RawResponse {
  status: number;
  retryAfter: string | undefined;
  replayed: string | undefined;
  text: string;
}

/**
 * A POST with node:http, headers given raw (`['Idempotency-Key', 'a', 'Idempotency-Key', 'b']`), so a
 * header can really be sent twice and a body can be any text. fetch would join repeated headers.
 * (With raw headers node:http adds none of its own, so `Host` is set here.)
 */
export function rawPost(agent: Agent, url: string, rawHeaders: readonly string[], body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: ['Host', new URL(url).host, ...rawHeaders, 'Content-Length', String(Buffer.byteLength(body))],
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
            replayed: response.headers['idempotent-replayed'] as string | undefined,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(Buffer.from(body));
  });
}
