import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy between node-postgres and PostgreSQL that frames the wire protocol (v3) just far
 * enough to count round trips (each ReadyForQuery the server sends ends one) and to lose the reply
 * to a chosen simple query: the server runs it, the client never hears back (or hears a FATAL error
 * in place of the reply, as when its session is terminated at that moment), its connection closes.
 * Plain TCP only (node-postgres asks for no TLS unless told to).
 */
export interface PostgresProxy {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  /** ReadyForQuery messages relayed so far: one per round trip (connection start-up included). */
  readonly roundTrips: number;
  /**
   * Arms a fault on the next simple query whose text matches `pattern`: `drop-reply` forwards it and
   * swallows the server's reply; `fatal-reply` also lets the server finish it, then answers the
   * client with a FATAL `57P01` (admin_shutdown) error instead; `drop-request` never forwards it.
   * Either way both sides of that connection are closed. Resolves once it fired.
   */
  lose(kind: Fault, pattern: RegExp): Promise<void>;
  close(): Promise<void>;
}

type Fault = 'drop-reply' | 'fatal-reply' | 'drop-request';

/** An ErrorResponse message as the server sends when `pg_terminate_backend` ends a session. */
function fatalShutdown(): Buffer {
  const fields = Buffer.from(
    'SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0',
    'utf8',
  );
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/** Complete typed messages at the start of `buffer` (type byte, Int32 length including itself). */
function* messages(buffer: Buffer): Generator<{ type: string; body: Buffer; end: number }> {
  let at = 0;
  while (at + 5 <= buffer.length) {
    const end = at + 1 + buffer.readInt32BE(at + 1);
    if (end > buffer.length) return;
    yield { type: String.fromCharCode(buffer[at]!), body: buffer.subarray(at + 5, end), end };
    at = end;
  }
}

export async function startPostgresProxy(target: { host: string; port: number }): Promise<PostgresProxy> {
  let roundTrips = 0;
  let armed: { kind: Fault; pattern: RegExp; fired: () => void } | undefined;
  const hangUps = new Set<() => void>();

  function relay(client: Socket): void {
    const upstream = connect(target);
    let fromClient = Buffer.alloc(0);
    let fromServer = Buffer.alloc(0);
    let startedUp = false; // the first client message (start-up) has no type byte
    let swallowing: { fired: () => void; fatal: boolean } | undefined;
    const hangUp = () => {
      if (!hangUps.delete(hangUp)) return;
      client.destroy();
      upstream.destroy();
    };
    hangUps.add(hangUp);

    client.on('data', (chunk) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      if (!startedUp) {
        if (fromClient.length < 4) return;
        const length = fromClient.readInt32BE(0);
        if (fromClient.length < length) return;
        upstream.write(fromClient.subarray(0, length));
        fromClient = fromClient.subarray(length);
        startedUp = true;
      }
      let forwarded = 0;
      for (const message of messages(fromClient)) {
        const text = message.type === 'Q' ? message.body.toString('utf8', 0, message.body.length - 1) : ''; // NUL-terminated
        if (armed && message.type === 'Q' && armed.pattern.test(text)) {
          const { kind, fired } = armed;
          armed = undefined;
          upstream.write(fromClient.subarray(0, forwarded));
          if (kind === 'drop-request') {
            hangUp();
            fired();
            return;
          }
          upstream.write(fromClient.subarray(forwarded, message.end));
          fromClient = Buffer.alloc(0);
          swallowing = { fired, fatal: kind === 'fatal-reply' };
          return;
        }
        forwarded = message.end;
      }
      upstream.write(fromClient.subarray(0, forwarded));
      fromClient = fromClient.subarray(forwarded);
    });

    upstream.on('data', (chunk) => {
      if (swallowing) {
        // The reply to the lost query: wait until the server finished it (ReadyForQuery), then hang up.
        fromServer = Buffer.concat([fromServer, chunk]);
        for (const message of messages(fromServer)) {
          if (message.type !== 'Z') continue;
          const { fired, fatal } = swallowing;
          swallowing = undefined;
          if (fatal) client.end(fatalShutdown(), hangUp);
          else hangUp();
          fired();
          return;
        }
        return;
      }
      fromServer = Buffer.concat([fromServer, chunk]);
      let relayed = 0;
      for (const message of messages(fromServer)) {
        if (message.type === 'Z') roundTrips++;
        relayed = message.end;
      }
      client.write(fromServer.subarray(0, relayed));
      fromServer = fromServer.subarray(relayed);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', hangUp);
      socket.on('close', hangUp);
    }
  }

  const server = createServer(relay);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    get roundTrips() {
      return roundTrips;
    },
    lose(kind, pattern) {
      return new Promise((fired) => (armed = { kind, pattern, fired }));
    },
    async close() {
      armed = undefined;
      [...hangUps].forEach((hangUp) => hangUp());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
