/**
 * What the OpenTelemetry scenarios (scenarios.ts) need of a server library: start an app with the
 * idempotency options, send a mutation, count the body's runs. One file per library implements it.
 */
import type { Tracer } from '@opentelemetry/api';
import type { IdempotencyOptions } from '../../../../src/core/options.js';

/** One mutation call over HTTP. */
export interface Call {
  key: string;
  user: string;
  amount: number;
  /** `pay` stores its result; `failing` throws an unexpected error, which frees the key. Defaults to `pay`. */
  mutation?: 'pay' | 'failing';
}

/** An app on a real HTTP server, with idempotent mutations. */
export interface App {
  /** Sends one mutation; `fence` is the fencing token the body saw (absent on errors). */
  call(call: Call): Promise<{ status: number; fence?: number }>;
  /** How often the `pay` body ran. */
  runs(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The idempotency options (store, instrument, lease, …). */
  idempotency: IdempotencyOptions;
  /** Awaited inside every mutation body before it returns or throws. */
  hold: () => Promise<void>;
  /** Opens the transport's own span around each request, as a server's instrumentation would. */
  tracer: Tracer;
}

/** A server library the telemetry is checked through. */
export interface Transport {
  name: string;
  /** The operation identity of `pay` and of `failing`. */
  operations: { pay: string; failing: string };
  /** Name of the transport's own span the idempotency span must nest under. */
  parentSpan: string;
  start(options: StartOptions): Promise<App>;
}
