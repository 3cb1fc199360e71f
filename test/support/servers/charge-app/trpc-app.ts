import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
import { idempotency } from '../../../../src/trpc/index.js';
import { makeT } from '../trpc/t.js';
import { isReportSize, type Ledger } from './ledger.js';

export interface TrpcContext {
  req: IncomingMessage;
  res: ServerResponse;
  user: string | undefined;
}

interface ChargeInput {
  amount: number;
  waitForGate?: boolean;
  memo?: unknown;
  idempotencyKey?: unknown;
}

/** Validates like a schema library would: a bad input is a BAD_REQUEST, never a crash. */
function parseCharge(raw: unknown): ChargeInput {
  const input = raw as Partial<ChargeInput> | null;
  if (typeof input !== 'object' || input === null || !Number.isSafeInteger(input.amount)) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'amount must be an integer.' });
  }
  if (input.waitForGate !== undefined && typeof input.waitForGate !== 'boolean') {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'waitForGate must be a boolean.' });
  }
  return input as ChargeInput;
}

function parseReport(raw: unknown): { bytes: number } {
  const bytes = (raw as { bytes?: unknown } | null)?.bytes;
  if (!isReportSize(bytes)) throw new TRPCError({ code: 'BAD_REQUEST', message: 'bytes is out of range.' });
  return { bytes };
}

/** A tRPC router (the tRPC harness's superjson `makeT`) whose mutations run the shared ledger body behind `idempotency()` (scope: the `x-user` header; without one, the shared anonymous scope on purpose, like the Yoga app). */
export function createTrpcRouter(ledger: Ledger, options: IdempotencyOptions) {
  const t = makeT<TrpcContext>();
  const idempotent = t.procedure.use(
    idempotency<TrpcContext>({ ...options, scope: ({ ctx }) => ctx.user ?? 'anonymous' }),
  );
  return t.router({
    charge: idempotent.input(parseCharge).mutation(({ input, ctx }) =>
      ledger.charge({
        operation: 'trpc:charge',
        ...ctx.idempotency,
        amount: input.amount,
        waitForGate: input.waitForGate,
      }),
    ),
    report: idempotent
      .input(parseReport)
      .mutation(({ input, ctx }) =>
        ledger.report({ operation: 'trpc:report', ...ctx.idempotency, bytes: input.bytes }),
      ),
  });
}

export type TrpcRouter = ReturnType<typeof createTrpcRouter>;
