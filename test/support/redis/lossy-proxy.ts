import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a redis-server that can lose a reply, as a network failure would. */
export interface LossyProxy {
  /** `redis://` URL of the proxy. */
  readonly url: string;
  /** How many commands with one of these names (case-insensitive) clients sent through the proxy. */
  sent(...names: string[]): number;
  /**
   * Drops the next reply Redis sends back and cuts the client's connection: Redis has run the
   * command, the client never hears of it (and ioredis re-sends it on its next connection).
   */
  dropNextReply(): void;
  close(): Promise<void>;
}

/** Starts a {@link LossyProxy} on a free loopback port in front of the redis-server at `target`. */
export async function startLossyProxy(target: { host: string; port: number }): Promise<LossyProxy> {
  const sockets = new Set<Socket>();
  const commands: string[] = [];
  let dropping = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    client.on('data', (chunk) => {
      // RESP arrays: every command name is sent as a bulk string after the array header.
      for (const match of chunk.toString('latin1').matchAll(/^\*\d+\r\n\$\d+\r\n([^\r]+)\r\n/gm))
        commands.push(match[1]!.toLowerCase());
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!dropping) return void client.write(chunk);
      dropping = false;
      client.destroy();
      upstream.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no port');

  return {
    url: `redis://127.0.0.1:${address.port}`,
    sent: (...names) => commands.filter((command) => names.some((name) => name.toLowerCase() === command)).length,
    dropNextReply: () => void (dropping = true),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
