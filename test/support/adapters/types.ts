/** The two bodies every transport exposes: `pay` returns; `flaky` throws unexpectedly on its first run per user and key. */
export type Op = 'pay' | 'flaky';

/** One keyed mutation as a caller sends it. */
export interface Call {
  op: Op;
  /** The caller's identity (a header or connection param); `''` sends none. */
  user: string;
  key: string;
  amount: number;
  /** FormData rows: the content of the form's file. Defaults to one derived from `amount`. */
  receipt?: string;
  /** Aborting it drops the answer on the client side: the server goes on. */
  signal?: AbortSignal;
}

/** The idempotency refusals, whatever the transport calls them. */
export type Refusal =
  'conflict' | 'mismatch' | 'stream-unsupported' | 'unauthorized' | 'invalid' | 'unavailable' | 'not-stored';

/** What a caller received, normalised across transports; `problems` lists transport-level inconsistencies seen. */
export type Answer =
  | {
      kind: 'ok';
      /** The mutation's result as the caller decoded it. */
      value: Record<string, unknown>;
      /** Whether the transport marked it a replay; `undefined` where it cannot mark one. */
      replayed: boolean | undefined;
      problems: string[];
    }
  | { kind: 'refused'; refusal: Refusal; label: string; problems: string[] }
  /** Any other error answer (the body threw). */
  | { kind: 'failed'; label: string; problems: string[] }
  /** No answer: the caller dropped it, or the connection failed. */
  | { kind: 'lost'; label: string; problems: string[] };

/** One row of the matrix: a real client talking to a real server over one transport. */
export interface Transport {
  /** Row label in the report. */
  name: string;
  /** Whether a replay is marked (header / `extensions.idempotency.replayed`). */
  marksReplay: boolean;
  /** Whether results keep their types (a `Date` stays a `Date`: tRPC with superjson). */
  typed: boolean;
  /** The record's operation identity (GraphQL root field, tRPC path) of a body. */
  operation(op: Op): string;
  send(call: Call): Promise<Answer>;
  /** How many `begin`s the engine behind this transport has answered for a record id (see `observeStore`). */
  answered(recordId: string): number;
}

/** A transport that can send several keyed mutations in one request (a batch shares one set of headers). */
export interface BatchSender {
  /** Sends `calls` (one caller) as one batch; `requests` is how many HTTP requests that took. */
  sendBatch(calls: Call[]): Promise<{ answers: Answer[]; requests: number }>;
}

/** How each idempotency error code reads as a refusal. */
export const REFUSALS: Record<string, Refusal> = {
  IDEMPOTENCY_CONCURRENT_REQUEST: 'conflict',
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH: 'mismatch',
  IDEMPOTENCY_STREAM_UNSUPPORTED: 'stream-unsupported',
  IDEMPOTENCY_SCOPE_MISSING: 'unauthorized',
  IDEMPOTENCY_KEY_INVALID: 'invalid',
  /** The store did not answer (fail-closed): nothing ran; the adapter-fault matrix's clients retry it. */
  IDEMPOTENCY_STORE_UNAVAILABLE: 'unavailable',
  /** A repeat of an execution whose result could not be stored. */
  IDEMPOTENCY_RESULT_NOT_STORED: 'not-stored',
};

/** The HTTP status of each refusal (the semantics table of docs/semantics.md). */
export const REFUSAL_STATUS: Record<Refusal, number> = {
  conflict: 409,
  mismatch: 422,
  'stream-unsupported': 400,
  unauthorized: 401,
  invalid: 400,
  unavailable: 503,
  'not-stored': 500,
};

/** The tRPC code of each refusal. */
export const REFUSAL_TRPC_CODE: Record<Refusal, string> = {
  conflict: 'CONFLICT',
  mismatch: 'UNPROCESSABLE_CONTENT',
  'stream-unsupported': 'BAD_REQUEST',
  unauthorized: 'UNAUTHORIZED',
  invalid: 'BAD_REQUEST',
  unavailable: 'SERVICE_UNAVAILABLE',
  'not-stored': 'INTERNAL_SERVER_ERROR',
};

export function lost(error: unknown): Answer {
  const name =
    error instanceof Error
      ? error.name === 'AbortError' || /abort/i.test(error.message)
        ? 'dropped'
        : error.message
      : String(error);
  return { kind: 'lost', label: name, problems: [] };
}
