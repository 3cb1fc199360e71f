/**
 * A money value object whose state is private, as in many value-object libraries (Temporal, money
 * types): nothing of it is enumerable, so what the fingerprint and the transformers see of it is
 * what the tests are about.
 */
export class Money {
  readonly #cents: bigint;
  constructor(cents: bigint) {
    this.#cents = cents;
  }
  get cents(): bigint {
    return this.#cents;
  }
}
