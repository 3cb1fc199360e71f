import type { CallTarget, ChildMessage, ParentMessage } from './messages.js';

/** Instance A's side of the IPC channel: calls into the playground's process, and notices. */
export interface ParentLink {
  call<T>(target: CallTarget, method: string, args: unknown[]): Promise<T>;
  notify(message: Exclude<ChildMessage, { type: 'call' }>): void;
}

/** An error that came back over IPC, with its name kept so the caller can tell kinds apart. */
export class RemoteError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Connects to the parent process (this process must have been forked with an IPC channel). */
export function connectToParent(): ParentLink {
  const send = process.send?.bind(process);
  if (!send) throw new Error('instance A must be started by the playground (it needs an IPC channel)');
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: ParentMessage) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new RemoteError(message.error.name, message.error.message));
  });
  return {
    call<T>(target: CallTarget, method: string, args: unknown[]) {
      return new Promise<T>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        send({ type: 'call', id, target, method, args } satisfies ChildMessage);
      });
    },
    notify: (message) => void send(message),
  };
}
