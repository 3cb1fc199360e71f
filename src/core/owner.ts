import { randomBytes } from 'node:crypto';

/** This process's part of every owner token, drawn on first use (not when the module loads, so a startup snapshot cannot share it). */
let processPrefix: string | undefined;
let counter = 0;

/**
 * A fresh owner token for one acquisition: 96 random bits drawn once per process (per worker
 * thread), then a counter. Owner tokens only need to be unique among every holder of a record,
 * across all the processes sharing a Redis or PostgreSQL store; they are never shown to a client
 * nor used as a secret, so unguessable tokens (a `randomUUID()` each) are not needed.
 */
export function newOwner(): string {
  processPrefix ??= `${randomBytes(12).toString('base64url')}.`;
  return processPrefix + (counter++).toString(36);
}
