/**
 * Child-process entry: `server-process.ts <yoga|trpc|express> <bare|plugin|peer> <redis url>`.
 * Listens on a free loopback port and prints `listening <port>` on stdout.
 */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createBenchServer, type Framework, type Variant } from './servers.js';

const frameworks: Framework[] = ['yoga', 'trpc', 'express'];
const variants: Variant[] = ['bare', 'plugin', 'peer'];
const [framework, variant, redisUrl] = process.argv.slice(2);
if (!frameworks.includes(framework as Framework) || !variants.includes(variant as Variant) || !redisUrl) {
  throw new Error('usage: server-process.ts <yoga|trpc|express> <bare|plugin|peer> <redis url>');
}
const server = createBenchServer(framework as Framework, variant as Variant, new Redis(redisUrl), new Redis(redisUrl));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
