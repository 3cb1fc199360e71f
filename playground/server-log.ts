import type { InstanceName } from './ledger.js';

/** What a server did, as the page's server log shows it. */
export type ServerEventKind =
  /** The body ran and wrote a new charge (with `fence`, or `null` without idempotency). */
  | 'charged'
  /** A newer attempt (a takeover) wrote the same payment again with a larger `fence`: no new charge. */
  | 'rewrote'
  /** A write with a smaller fence than the payment's was refused. */
  | 'refused-stale'
  /** Answered with `status` after running. */
  | 'answered'
  /** Answered from the stored record; nothing ran. */
  | 'replayed'
  /** 409: the key's first attempt still holds its lease. */
  | 'conflict'
  /** 422: the key was used before with other input. */
  | 'mismatch'
  /** Answered, but the flaky network lost the response. */
  | 'lost'
  /** The instance died before answering: the connection dropped. */
  | 'no-answer'
  /** Instance A is in front of the load balancer: the next request goes to it. */
  | 'in-rotation'
  /** Instance A charged and is stuck before answering. */
  | 'stuck'
  /** Instance A was killed with SIGKILL. */
  | 'killed'
  /** Instance A's charge, written in its store transaction (PostgreSQL), never committed: it is not in the ledger. */
  | 'rolled-back';

/** One line of the server log. */
export interface ServerEvent {
  seq: number;
  at: string;
  instance: InstanceName;
  kind: ServerEventKind;
  /** The request's idempotency key, where there was one. */
  key?: string | null;
  status?: number;
  fence?: number | null;
  chargeId?: string;
  /** The charge was written through the attempt's store transaction (PostgreSQL): it commits with the stored answer, or never. */
  inTransaction?: boolean;
  pid?: number;
  /** How long the server took to answer, in milliseconds. */
  ms?: number;
}

/** The server log: the newest `max` events. */
export interface ServerLog {
  add(event: Omit<ServerEvent, 'seq' | 'at'>): void;
  list(): ServerEvent[];
  reset(): void;
}

export function createServerLog(max = 300): ServerLog {
  let events: ServerEvent[] = [];
  let seq = 0;
  return {
    add(event) {
      events.push({ seq: ++seq, at: new Date().toISOString(), ...event });
      if (events.length > max) events = events.slice(-max);
    },
    list: () => [...events],
    reset() {
      events = [];
    },
  };
}
