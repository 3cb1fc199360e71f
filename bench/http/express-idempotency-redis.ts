import type { IdempotencyResource, IIdempotencyDataAdapter } from 'express-idempotency';
import type { Redis } from 'ioredis';

/**
 * An ioredis data adapter for `express-idempotency`, written for the benchmark: the package ships
 * an in-memory adapter only (a Redis one is the separate npm package
 * `express-idempotency-redis-adapter`, not installed here). One JSON string per key, as that
 * adapter stores it: find = GET, create / update = SET with a TTL, delete = DEL.
 */
export function expressIdempotencyRedisAdapter(
  redis: Redis,
  ttlSeconds: number,
  prefix = 'bench:express-idempotency:',
): IIdempotencyDataAdapter {
  const keyOf = (idempotencyKey: string) => prefix + idempotencyKey;
  const save = async (resource: IdempotencyResource) => {
    await redis.set(keyOf(resource.idempotencyKey), JSON.stringify(resource), 'EX', ttlSeconds);
  };
  return {
    async findByIdempotencyKey(idempotencyKey) {
      const stored = await redis.get(keyOf(idempotencyKey));
      return stored === null ? null : (JSON.parse(stored) as IdempotencyResource);
    },
    create: save,
    update: save,
    async delete(idempotencyKey) {
      await redis.del(keyOf(idempotencyKey));
    },
  };
}
