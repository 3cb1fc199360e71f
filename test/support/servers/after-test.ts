/**
 * What the harnesses close after each test: `onClose(close)` runs `close` once the running test
 * ends. Outside a vitest worker (a child process serving an app) nothing is registered: its owner
 * closes what it starts.
 */
import { afterEach } from 'vitest';

const closers: (() => Promise<void>)[] = [];
try {
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
  });
} catch {
  // Outside a vitest worker.
}

/** Runs `close` after the running test. */
export function onClose(close: () => Promise<void>): void {
  closers.push(close);
}

/** `close`, run once however often it is called (by the test and after it). */
export function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}
