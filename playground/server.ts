/**
 * `npm run playground`: starts the playground and prints its URL. `PORT` picks the port (default
 * 4000; a taken port falls back to a free one), `REDIS_URL` keeps idempotency records in Redis,
 * `DATABASE_URL` in PostgreSQL (with the ledger, in a schema of the run's own); neither: in memory.
 * SIGINT / SIGTERM stop it, instance A (the crash scenario's child process) included.
 */
import { playgroundDefaults, startPlayground, type Playground } from './start.js';

function requestedPort(): number {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return playgroundDefaults.port;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT must be a port number (0-65535), got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const port = requestedPort();
  const stores = { redisUrl: process.env.REDIS_URL || undefined, databaseUrl: process.env.DATABASE_URL || undefined };
  let playground: Playground;
  try {
    playground = await startPlayground({ port, ...stores });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.log(`Port ${port} is already in use; starting on a free port instead (set PORT to choose another).`);
    playground = await startPlayground({ port: 0, ...stores });
  }
  const schema = playground.postgresSchema ? `, schema ${playground.postgresSchema}` : '';
  console.log(`Playground: ${playground.url}  (store: ${playground.store}${schema})`);
  const stop = () => {
    void playground.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Playground could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
