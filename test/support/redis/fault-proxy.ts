import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import * as scripts from '../../../src/stores/redis-scripts.js';

/**
 * A TCP proxy between an application and Redis that injects faults at chosen idempotency
 * transitions. It reads RESP in both directions only far enough to frame it: each command the
 * client sends (an array of bulk strings; ioredis pipelines several per packet) and each reply
 * (RESP2, nested arrays included), and pairs them by counting, which holds for every command the
 * store sends (no pub/sub, MONITOR or CLIENT REPLY OFF on a proxied connection).
 */

/** A state transition of a record, one Lua script each. */
export type Transition = 'begin' | 'extend' | 'complete' | 'release';

/** What a fault does to the command it is aimed at. */
export type FaultAction =
  /** Forward the command, let Redis run it, swallow its reply, then close the client connection. */
  | { kind: 'drop-reply' }
  /** Hold all traffic of that connection, both ways, from that command on for `ms`, then deliver it. */
  | { kind: 'blackhole'; ms: number }
  /** Close the client connection before forwarding the command: Redis never runs it. */
  | { kind: 'close' };

/** A fault aimed at the `nth` (default first) command of `transition` the proxy sees after `inject`. */
export type TransitionFault = FaultAction & { transition: Transition; nth?: number };

/** Closes every connection and refuses new ones for `ms`: a Redis blip, whatever the commands. */
export interface Outage {
  kind: 'outage';
  ms: number;
}

export type Fault = TransitionFault | Outage;

export interface FaultProxyStats {
  /** Client connections accepted and relayed. */
  connections: number;
  /** Client connections closed at once because an outage was in force. */
  refused: number;
  /** Transition commands seen (EVAL or EVALSHA of a store script), re-sent ones included. */
  transitions: Record<Transition, number>;
  /** Faults that took effect, in order, e.g. `drop-reply begin #1`. */
  fired: string[];
}

export interface FaultProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for `new Redis(url)`. */
  readonly url: string;
  /**
   * Arms a fault. Resolves once it took effect (a reply swallowed, a connection closed, held
   * traffic delivered, an outage over), or its connection ended first. Never rejects.
   */
  inject(fault: Fault): Promise<void>;
  /** Forgets faults that have not fired yet and ends an outage in force. */
  clear(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
  readonly stats: FaultProxyStats;
}

const sha1 = (text: string | Buffer) => createHash('sha1').update(text).digest('hex');

/** Read on every start, so edits to the scripts are picked up: ioredis names a script by the sha1 of its exact text. */
const transitionBySha = new Map<string, Transition>([
  [sha1(scripts.BEGIN), 'begin'],
  [sha1(scripts.EXTEND), 'extend'],
  [sha1(scripts.COMPLETE), 'complete'],
  [sha1(scripts.RELEASE), 'release'],
]);

/** The transition a command runs: `EVALSHA <sha1> …` or `EVAL <lua> …` of a store script. */
function transitionOf([name, script]: Buffer[]): Transition | undefined {
  if (!name || !script) return undefined;
  switch (name.toString().toLowerCase()) {
    case 'evalsha':
      return transitionBySha.get(script.toString());
    case 'eval':
      return transitionBySha.get(sha1(script));
    default:
      return undefined;
  }
}

/** Splits the RESP header line at `offset` (`<type><text>\r\n`); `undefined` when incomplete. */
function readLine(buffer: Buffer, offset: number): { type: string; text: string; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset);
  if (end === -1) return undefined;
  return {
    type: String.fromCharCode(buffer[offset]!),
    text: buffer.toString('latin1', offset + 1, end),
    next: end + 2,
  };
}

/**
 * Where the RESP2 or RESP3 value at `offset` ends; `undefined` while `buffer` does not hold all of it
 * (clients that speak RESP3, as ioredis 6 and node-redis 6 do by default, send HELLO 3 first).
 */
function replyEnd(buffer: Buffer, offset: number): number | undefined {
  const line = readLine(buffer, offset);
  if (!line) return undefined;
  const length = Number(line.text);
  switch (line.type) {
    case '+':
    case '-':
    case ':':
    case '_': // RESP3 null
    case '#': // RESP3 boolean
    case ',': // RESP3 double
    case '(': // RESP3 big number
      return line.next;
    case '$':
    case '!': // RESP3 blob error
    case '=': {
      // RESP3 verbatim string
      if (length < 0) return line.next; // null bulk string
      const end = line.next + length + 2;
      return end <= buffer.length ? end : undefined;
    }
    case '*':
    case '~': // RESP3 set
    case '>': // RESP3 push
    case '%': // RESP3 map: a key and a value per entry
    case '|': {
      // RESP3 attribute: a map, then the reply it describes
      const elements = line.type === '%' || line.type === '|' ? length * 2 : length;
      let at: number | undefined = line.next; // a null array (-1) has no elements
      for (let i = 0; i < elements && at !== undefined; i++) at = replyEnd(buffer, at);
      return line.type === '|' && at !== undefined ? replyEnd(buffer, at) : at;
    }
    default:
      throw new Error(`fault proxy: unexpected RESP reply type ${JSON.stringify(line.type)}`);
  }
}

/** The command (array of bulk strings) at the start of `buffer` and where it ends; `undefined` when incomplete. */
function readCommand(buffer: Buffer): { args: Buffer[]; end: number } | undefined {
  const header = readLine(buffer, 0);
  if (!header) return undefined;
  if (header.type !== '*')
    throw new Error('fault proxy: expected a RESP array command (inline commands are not supported)');
  const args: Buffer[] = [];
  let at = header.next;
  for (let i = 0; i < Number(header.text); i++) {
    const bulk = readLine(buffer, at);
    if (!bulk) return undefined;
    const end = bulk.next + Number(bulk.text);
    if (end + 2 > buffer.length) return undefined;
    args.push(buffer.subarray(bulk.next, end));
    at = end + 2;
  }
  return { args, end: at };
}

interface Armed {
  fault: TransitionFault;
  seen: number;
  fired: () => void;
}

export async function startFaultProxy({ target }: { target: { host: string; port: number } }): Promise<FaultProxy> {
  const stats: FaultProxyStats = {
    connections: 0,
    refused: 0,
    transitions: { begin: 0, extend: 0, complete: 0, release: 0 },
    fired: [],
  };
  let armed: Armed[] = [];
  let outage: { until: number; timer: NodeJS.Timeout; over: () => void } | undefined;
  const links = new Set<() => void>();

  /** Counts a transition command and returns the fault it triggers, if any. */
  function trigger(args: Buffer[]): Armed | undefined {
    const transition = transitionOf(args);
    if (!transition) return undefined;
    const occurrence = ++stats.transitions[transition];
    const aimed = armed.filter((entry) => entry.fault.transition === transition);
    aimed.forEach((entry) => entry.seen++);
    const entry = aimed.find((candidate) => candidate.seen === (candidate.fault.nth ?? 1));
    if (!entry) return undefined;
    armed.splice(armed.indexOf(entry), 1);
    stats.fired.push(`${entry.fault.kind} ${transition} #${occurrence}`);
    return entry;
  }

  /** Relays one client connection to its own Redis connection, applying the faults its commands trigger. */
  function relay(client: Socket): void {
    const upstream = connect(target);
    let fromClient = Buffer.alloc(0);
    let fromRedis = Buffer.alloc(0);
    let forwarded = 0; // commands sent to Redis
    let answered = 0; // replies back from Redis, delivered or swallowed
    let stopped = false; // forward no more commands: the connection is about to close
    let swallow: number | undefined; // number of the reply to swallow (drop-reply)
    let closeAt: number | undefined; // close once this many replies were delivered (close)
    let held: NodeJS.Timeout | undefined; // blackhole in force
    let heldCommandMatched = false; // the command that started a blackhole heads `fromClient`; do not count it twice
    let active: Armed | undefined; // the fault this connection is carrying out

    function hangUp(): void {
      if (!links.delete(hangUp)) return; // already hung up
      clearTimeout(held);
      upstream.destroy();
      client.end(); // flushes the replies already written, then FIN: ioredis sees the connection close
      active?.fired();
    }
    links.add(hangUp);

    function relayReplies(): void {
      if (held) return;
      let delivered = 0;
      for (let end = replyEnd(fromRedis, 0); end !== undefined; end = replyEnd(fromRedis, delivered)) {
        if (++answered === swallow) {
          client.write(fromRedis.subarray(0, delivered));
          return hangUp();
        }
        delivered = end;
      }
      client.write(fromRedis.subarray(0, delivered));
      fromRedis = fromRedis.subarray(delivered);
      if (closeAt !== undefined && answered >= closeAt) hangUp();
    }

    function relayCommands(): void {
      while (!held && !stopped) {
        const command = readCommand(fromClient);
        if (!command) return;
        const entry = heldCommandMatched ? undefined : trigger(command.args);
        heldCommandMatched = false;
        active = entry ?? active;
        const fault = entry?.fault;
        if (fault?.kind === 'blackhole') {
          heldCommandMatched = true;
          held = setTimeout(() => {
            held = undefined;
            relayReplies(); // replies to earlier commands first, as Redis sent them
            relayCommands();
            entry!.fired();
          }, fault.ms);
          return;
        }
        const frame = fromClient.subarray(0, command.end);
        fromClient = fromClient.subarray(command.end);
        if (fault?.kind === 'close') {
          stopped = true;
          closeAt = forwarded; // answer what Redis already ran, then close
          return relayReplies();
        }
        upstream.write(frame);
        forwarded++;
        if (fault?.kind === 'drop-reply') {
          stopped = true; // later pipelined commands never reach Redis
          swallow = forwarded;
        }
      }
    }

    // Bytes still arriving on a connection that was hung up are ignored: they must not count as transitions.
    client.on('data', (chunk) => {
      if (!links.has(hangUp)) return;
      fromClient = Buffer.concat([fromClient, chunk]);
      relayCommands();
    });
    upstream.on('data', (chunk) => {
      if (!links.has(hangUp)) return;
      fromRedis = Buffer.concat([fromRedis, chunk]);
      relayReplies();
    });
    for (const socket of [client, upstream]) {
      socket.on('error', hangUp);
      socket.on('close', hangUp);
    }
  }

  const server = createServer((client) => {
    if (outage && Date.now() < outage.until) {
      stats.refused++;
      client.destroy();
      return;
    }
    stats.connections++;
    relay(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  function endOutage(): void {
    if (!outage) return;
    clearTimeout(outage.timer);
    outage.over();
    outage = undefined;
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stats,
    inject(fault) {
      if (fault.kind !== 'outage') return new Promise((fired) => armed.push({ fault, seen: 0, fired }));
      endOutage();
      stats.fired.push(`outage ${fault.ms} ms`);
      [...links].forEach((hangUp) => hangUp());
      return new Promise((over) => {
        outage = { until: Date.now() + fault.ms, timer: setTimeout(endOutage, fault.ms), over };
      });
    },
    clear() {
      armed = [];
      endOutage();
    },
    async close() {
      armed = [];
      endOutage();
      [...links].forEach((hangUp) => hangUp());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
