/**
 * What instance A (a child process) and the playground's process say to each other over Node's IPC
 * channel. With the memory and Redis stores the playground's process holds the ledger (the
 * payments database) and, for the memory variant, the one memory store both instances share;
 * instance A reaches them through calls. On PostgreSQL, A writes to the ledger's table itself
 * (through its own store transaction) and reports each write.
 */
import type { LedgerWrite } from '../ledger.js';
import type { RunSchema } from '../postgres.js';

/** How instance A is configured, passed in the environment variable {@link CONFIG_ENV} as JSON. */
export interface InstanceConfig {
  /** Redis to keep records in (A opens its own connection); without it (and `postgres`) A uses the playground's memory store over IPC. */
  redisUrl?: string;
  redisPrefix: string;
  /** The run's PostgreSQL schema, store and ledger alike: A opens its own pool on it. */
  postgres?: RunSchema;
  leaseMs: number;
  waitMs: number;
  /** How long a charge takes, for the ledger A writes to itself (PostgreSQL). */
  chargeLatencyMs: number;
}

export const CONFIG_ENV = 'PLAYGROUND_INSTANCE_A';

/** The request header by which the load balancer tells A which API variant the switches ask for. */
export const VARIANT_HEADER = 'x-playground-variant';

/** What A can ask the playground's process to run for it. */
export type CallTarget = 'store' | 'ledger';

/** Messages from instance A. */
export type ChildMessage =
  /** A listens on `port` (127.0.0.1). */
  | { type: 'ready'; port: number }
  /** A asks for `target.method(...args)`; answered with a reply of the same `id`. */
  | { type: 'call'; id: number; target: CallTarget; method: string; args: unknown[] }
  /** A wrote to the ledger's table itself (PostgreSQL): the playground logs it. */
  | { type: 'wrote'; write: LedgerWrite }
  /**
   * A wrote its charge (with `fence`, `null` when unprotected) and is now stuck: it will never
   * answer. `inTransaction` when the charge waits in its store transaction, uncommitted.
   */
  | { type: 'stuck'; key: string | null; chargeId: string; fence: number | null; inTransaction: boolean };

/** Messages to instance A: the answer to one call. */
export type ParentMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: { name: string; message: string } };
