import type { Redis } from 'ioredis';

/** The mutation every benchmark wraps: create a payment. */
export interface PaymentInput {
  amount: number;
  currency: string;
}

export interface Payment {
  id: string;
  amount: number;
  currency: string;
  createdAt: Date;
}

export const paymentInput: PaymentInput = { amount: 4200, currency: 'EUR' };
export const operationName = 'createPayment';
/** What the mutation returns, for benchmarks whose body returns at once. */
export const storedPayment: Payment = {
  id: 'pay_1',
  amount: 4200,
  currency: 'EUR',
  createdAt: new Date(1_700_000_000_000),
};

/** The mutation body: one Redis write standing in for a database insert. */
export async function insertPayment(redis: Redis, input: PaymentInput, n: number): Promise<Payment> {
  const payment = {
    id: `pay_${n}`,
    amount: input.amount,
    currency: input.currency,
    createdAt: new Date(1_700_000_000_000 + n),
  };
  await redis.set(`payments:${payment.id}`, JSON.stringify(payment), 'EX', 600);
  return payment;
}
