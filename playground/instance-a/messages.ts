/**
 * What instance A (a child process) and the playground's process say to each other over Node's IPC
 * channel. The playground's process holds the ledger (the payments database) and, for the memory
 * variant, the one memory store both instances share; instance A reaches them through calls.
 */

/** How instance A is configured, passed in the environment variable {@link CONFIG_ENV} as JSON. */
export interface InstanceConfig {
  /** Redis to keep records in (A opens its own connection); without it A uses the playground's memory store over IPC. */
  redisUrl?: string;
  redisPrefix: string;
  leaseMs: number;
  waitMs: number;
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
  /** A wrote its charge (with `fence`, `null` when unprotected) and is now stuck: it will never answer. */
  | { type: 'stuck'; key: string | null; chargeId: string; fence: number | null };

/** Messages to instance A: the answer to one call. */
export type ParentMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: { name: string; message: string } };
