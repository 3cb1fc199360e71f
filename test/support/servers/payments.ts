/**
 * The payments schema most GraphQL tests share, served by both harnesses (yoga.ts, apollo-server.ts):
 * every mutation counts its runs by field name, then returns a payment or throws the error it names.
 */
import { GraphQLError } from 'graphql';
import type { GraphQLIdempotencyContext } from '../../../src/graphql/index.js';
import { idempotentDirectiveTypeDefs } from '../../../src/envelop/index.js';

export const paymentsTypeDefs = /* GraphQL */ `
  ${idempotentDirectiveTypeDefs}
  type Query {
    ping: String!
  }
  input TransferInput {
    amount: Int!
    idempotencyKey: String
  }
  type Receipt {
    number: String!
  }
  type Payment {
    id: ID!
    amount: Int!
    key: String
    fence: Int
    "Throws: a child field that fails after the root resolver charged."
    receipt: Receipt!
  }
  type Mutation {
    createPayment(amount: Int!, idempotencyKey: String): Payment!
    transfer(input: TransferInput!): Payment!
    refund(amount: Int!): Payment
    failing(amount: Int!): Payment
    declined(amount: Int!): Payment
    "Throws a coded error with HTTP status 403 and an x-limit header, after charging."
    forbidden(amount: Int!): Payment
    throttled(amount: Int!): Payment
  }
`;

interface PaymentsContext {
  idempotency?: GraphQLIdempotencyContext;
}

export interface PaymentsOptions {
  /** Awaited inside every mutation resolver before it returns. */
  beforeResolve?: () => Promise<void>;
  /**
   * The server's form of `extensions.http.headers` (Apollo Server wants a HeaderMap). Defaults to
   * the plain object.
   */
  httpHeaders?: (headers: Record<string, string>) => unknown;
}

/** The payments resolvers and `runs`, how often each resolver ran by field name. */
export function paymentsResolvers({ beforeResolve, httpHeaders = (headers) => headers }: PaymentsOptions = {}) {
  const runs: Record<string, number> = {};
  const ran = async (field: string, amount: number, context: PaymentsContext) => {
    runs[field] = (runs[field] ?? 0) + 1;
    await beforeResolve?.();
    return { id: `${field}-${runs[field]}`, amount, key: context.idempotency?.key, fence: context.idempotency?.fence };
  };
  /** A mutation that charges, then throws `error`. */
  const charges =
    (field: string, error: () => Error) => async (_: unknown, args: { amount: number }, context: PaymentsContext) => {
      await ran(field, args.amount, context);
      throw error();
    };
  const resolvers = {
    Query: {
      ping: () => {
        runs.ping = (runs.ping ?? 0) + 1;
        return 'pong';
      },
    },
    Mutation: {
      createPayment: (_: unknown, args: { amount: number }, context: PaymentsContext) =>
        ran('createPayment', args.amount, context),
      transfer: (_: unknown, args: { input: { amount: number } }, context: PaymentsContext) =>
        ran('transfer', args.input.amount, context),
      refund: (_: unknown, args: { amount: number }, context: PaymentsContext) => ran('refund', args.amount, context),
      failing: charges('failing', () => new Error('database connection lost')),
      declined: charges(
        'declined',
        () => new GraphQLError('Card declined.', { extensions: { code: 'CARD_DECLINED' } }),
      ),
      throttled: charges(
        'throttled',
        () => new GraphQLError('Slow down.', { extensions: { code: 'RATE_LIMITED', http: { status: 429 } } }),
      ),
      forbidden: charges('forbidden', () => {
        const extensions: Record<string, unknown> = {
          code: 'FORBIDDEN',
          http: { status: 403, headers: httpHeaders({ 'x-limit': '10' }) },
        };
        return new GraphQLError('Limit exceeded.', { extensions });
      }),
    },
    Payment: {
      receipt: () => {
        throw new Error('receipt printer on fire');
      },
    },
  };
  return { runs, resolvers };
}

/**
 * The smallest payments schema, for tests of one behaviour: `pay` returns `{ id: p<run>, amount }`,
 * `declined` throws a coded client error after running, `settle` (nullable) returns null after
 * running, a selected `receipt` throws.
 */
export const payTypeDefs = /* GraphQL */ `
  type Query {
    ping: String
  }
  type Receipt {
    number: String!
  }
  type Payment {
    id: ID!
    amount: Int!
    fence: Int
    ref: String
    "Throws: a child field that fails after the root resolver charged."
    receipt: Receipt
  }
  type Mutation {
    pay(amount: Int!, idempotencyKey: String): Payment!
    "Throws a coded client error (CARD_DECLINED) after running."
    declined(amount: Int!): Payment
    "Nullable, returns null when nothing was due: the body ran anyway."
    settle(amount: Int!): Payment
  }
`;

/**
 * The resolvers of `payTypeDefs` and `runs`, how often each mutation ran; `pay` awaits `before` (a
 * slow provider) first, and returns the fence it ran under.
 */
export function payResolvers({ before }: { before?: () => Promise<unknown> } = {}) {
  const runs = { pay: 0, declined: 0, settle: 0 };
  const resolvers = {
    Mutation: {
      pay: async (_: unknown, { amount }: { amount: number }, context: PaymentsContext) => {
        const run = ++runs.pay;
        await before?.();
        return { id: `p${run}`, amount, fence: context.idempotency?.fence, ref: 'r' };
      },
      declined: () => {
        runs.declined++;
        throw new GraphQLError('Card declined.', { extensions: { code: 'CARD_DECLINED' } });
      },
      settle: () => {
        runs.settle++;
        return null; // the settlement ran (side effect done); nothing to return
      },
    },
    Payment: {
      receipt: () => {
        throw new Error('receipt printer on fire');
      },
    },
  };
  return { runs, resolvers };
}
