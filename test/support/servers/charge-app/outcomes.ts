import superjson, { type SuperJSONResult } from 'superjson';
import type { IdempotencyErrorCode } from '../../../../src/core/errors.js';
import type { RawResponse } from './raw-http.js';

/** One answer, read the same way for both adapters. */
export interface Outcome {
  status: number;
  /** The idempotency code, else the adapter's own error code (`GRAPHQL_VALIDATION_FAILED`, `BAD_REQUEST`, …). */
  code: string | undefined;
  /** Whether the code is one of this library's. */
  idempotencyError: boolean;
  replayed: boolean;
  retryAfter: string | undefined;
  /** The mutation's value in a success (`data` of GraphQL, the deserialized output of tRPC). */
  value: unknown;
}

/** The HTTP status the semantics table documents for each code. */
export const documentedStatus: Record<IdempotencyErrorCode, number> = {
  IDEMPOTENCY_KEY_REQUIRED: 400,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_INPUT_INVALID: 400,
  IDEMPOTENCY_SCOPE_MISSING: 401,
  IDEMPOTENCY_STREAM_UNSUPPORTED: 400,
  IDEMPOTENCY_CONCURRENT_REQUEST: 409,
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH: 422,
  IDEMPOTENCY_STORE_UNAVAILABLE: 503,
  IDEMPOTENCY_RESULT_NOT_STORED: 500,
  IDEMPOTENCY_LEASE_LOST: 503,
  IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN: 503,
  IDEMPOTENCY_COMMIT_ABORTED: 503,
  IDEMPOTENCY_COMMIT_FAILED: 500,
  IDEMPOTENCY_TRANSACTION_ENDED: 500,
  IDEMPOTENCY_TRANSACTION_UNAVAILABLE: 500,
};

const isIdempotencyCode = (code: unknown): code is IdempotencyErrorCode =>
  typeof code === 'string' && code in documentedStatus;

interface GraphQLWire {
  data?: Record<string, unknown> | null;
  errors?: { extensions?: { code?: string } }[];
}

interface TrpcWire {
  result?: { data: SuperJSONResult };
  error?: { json: { data?: { code?: string; idempotency?: { code: string } } } };
}

export function readGraphQL(response: RawResponse): Outcome {
  const body = parseJson(response) as GraphQLWire;
  const code = body.errors?.[0]?.extensions?.code;
  return outcome(response, code, body.errors ? undefined : body.data);
}

export function readTrpc(response: RawResponse): Outcome {
  const body = parseJson(response) as TrpcWire;
  const data = body.error?.json.data;
  return outcome(
    response,
    data?.idempotency?.code ?? data?.code,
    body.result ? superjson.deserialize(body.result.data) : undefined,
  );
}

function outcome(response: RawResponse, code: string | undefined, value: unknown): Outcome {
  return {
    status: response.status,
    code,
    idempotencyError: isIdempotencyCode(code),
    replayed: response.replayed === 'true',
    retryAfter: response.retryAfter,
    value,
  };
}

function parseJson({ status, text }: RawResponse): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`status ${status}, body is not JSON: ${text.slice(0, 200)}`);
  }
}
