import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared redis-server: `REDIS_URL`, or one spawned for this run. */
    redisUrl: string;
  }
}

/** Starts one redis-server for the whole run unless `REDIS_URL` points at one. */
export default async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return;
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop('SIGTERM');
}
