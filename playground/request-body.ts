import type { IncomingMessage } from 'node:http';

/** Largest request body accepted, in bytes. */
const MAX_BODY_BYTES = 1_048_576;

/** Reads a request body; rejects one larger than 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
