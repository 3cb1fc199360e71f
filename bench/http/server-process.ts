/**
 * Child-process entry: `server-process.ts <yoga|trpc> <plugin|bare> <redis url>`. Listens on a
 * free loopback port and prints `listening <port>` on stdout.
 */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createRedisStore } from '../../src/stores/redis.js';
import { createBenchServer, type Framework } from './servers.js';

const [framework, variant, redisUrl] = process.argv.slice(2);
if ((framework !== 'yoga' && framework !== 'trpc') || (variant !== 'plugin' && variant !== 'bare') || !redisUrl) {
  throw new Error('usage: server-process.ts <yoga|trpc> <plugin|bare> <redis url>');
}
const store = variant === 'plugin' ? createRedisStore({ redis: new Redis(redisUrl), prefix: `bench:http:${framework}:` }) : undefined;
const server = createBenchServer(framework as Framework, new Redis(redisUrl), store);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
