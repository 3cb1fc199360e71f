/**
 * Child-process entry: `server-process.ts '<ServerConfig as JSON>'`. Listens on a free loopback
 * port and prints `listening <port>` on stdout.
 */
import type { AddressInfo } from 'node:net';
import { createBenchServer, type ServerConfig } from './servers.js';

const [json] = process.argv.slice(2);
if (!json) throw new Error("usage: server-process.ts '<ServerConfig JSON>'");
const server = await createBenchServer(JSON.parse(json) as ServerConfig);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
