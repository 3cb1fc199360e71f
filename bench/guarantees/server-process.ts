/**
 * Child-process entry: `server-process.ts <guard> <redis url> <lease ms>`. Listens on a free
 * loopback port and prints `listening <port>` on stdout; the guarantee checks SIGKILL it mid-request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createGuaranteeApp, GUARANTEE_GUARDS, type GuaranteeGuard } from './app.js';

const [guard, redisUrl, lease] = process.argv.slice(2);
if (!GUARANTEE_GUARDS.includes(guard as GuaranteeGuard) || !redisUrl || !lease)
  throw new Error('usage: server-process.ts <guard> <redis url> <lease ms>');
const server = createServer(
  await createGuaranteeApp(guard as GuaranteeGuard, new Redis(redisUrl), redisUrl, Number(lease)),
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
