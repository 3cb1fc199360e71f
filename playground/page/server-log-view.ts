import type { InstancesStatus } from '../demo-state.js';
import type { ServerEvent } from '../server-log.js';
import { byId, fillList, make } from './dom.js';
import type { Tone } from './duplicates.js';
import { clock, shortKey, times } from './format.js';

const fenceText = (fence: number | null | undefined) =>
  fence === null || fence === undefined ? 'no fence: unprotected' : `fence ${fence}`;
const took = (event: ServerEvent) => (event.ms === undefined ? '' : ` after ${event.ms} ms`);

/** What the instance did, in words. */
function describe(event: ServerEvent): string {
  switch (event.kind) {
    case 'charged':
      return `ran the payment: wrote charge ${event.chargeId} (${fenceText(event.fence)})${event.inTransaction ? ' in its store transaction: it commits with the stored answer, or never' : ''}`;
    case 'rewrote':
      return `took over with fence ${event.fence}: wrote the same payment ${event.chargeId} again, no new charge`;
    case 'refused-stale':
      return `write with fence ${event.fence} refused: ${event.chargeId} holds a newer fence`;
    case 'answered':
      return `answered ${event.status}${took(event)}`;
    case 'replayed':
      return `replayed the stored answer${took(event)}: nothing ran`;
    case 'conflict':
      return '409: the first attempt still holds its lease';
    case 'mismatch':
      return '422: this key was used with other input; nothing ran';
    case 'lost':
      return `answered ${event.status}, but the flaky network lost the answer`;
    case 'no-answer':
      return 'died before answering: the connection dropped';
    case 'in-rotation':
      return `pid ${event.pid} (its own Node process) is now in front of the load balancer`;
    case 'stuck':
      return `is stuck after charging ${event.chargeId}: it will never answer${event.fence == null ? '' : '; its heartbeat keeps renewing the lease'}${event.inTransaction ? '; the charge waits in its open transaction, uncommitted' : ''}`;
    case 'killed':
      return `killed with SIGKILL (pid ${event.pid})${event.fence == null ? '' : ': no release, no heartbeat; its lease lapses'}`;
    case 'rolled-back':
      return `its transaction never committed: PostgreSQL rolled it back as A's connection closed, so charge ${event.chargeId} (${fenceText(event.fence)}) never reached the ledger`;
  }
}

/** How each kind of event is coloured; a `charged` is green, or red when its key is charged more than once. */
const tones: Record<ServerEvent['kind'], Tone> = {
  charged: 'good',
  rewrote: 'good',
  replayed: 'good',
  answered: 'none',
  'in-rotation': 'none',
  conflict: 'warn',
  mismatch: 'warn',
  'refused-stale': 'warn',
  lost: 'bad',
  'no-answer': 'bad',
  stuck: 'bad',
  killed: 'bad',
  'rolled-back': 'good', // the killed instance's charge is gone: no second charge to come
};

/** `charges` is the number of `charged` events of the event's key so far, this one included, less those rolled back. */
function line(event: ServerEvent, charges: number): HTMLLIElement {
  const key = event.key === undefined ? '' : ` · key ${shortKey(event.key)}`;
  const again = charges > 1 ? ` · charged this key ${times(charges)}` : '';
  const text = `${clock(event.at)} ${event.instance}${key} · ${describe(event)}${again}`;
  return make('li', {
    text,
    className: `instance-${event.instance}`,
    data: {
      tone: charges > 1 ? 'bad' : tones[event.kind],
      kind: event.kind,
      instance: event.instance,
      ...(event.fence == null ? {} : { fence: String(event.fence) }),
    },
  });
}

/** Which processes serve the payments. */
function instancesText({ a, b }: InstancesStatus): string {
  const killed = a.lastKilledPid === undefined ? '' : `; last killed: pid ${a.lastKilledPid}`;
  const aState =
    a.state === 'off'
      ? 'not started yet (the crash scenario starts it)'
      : `${a.state.replace('-', ' ')}${a.pid === undefined ? '' : `, pid ${a.pid}`}${killed}`;
  return `B: the playground's process, pid ${b.pid} · A: ${aState}`;
}

let shownSeq = -1;

/** Shows the server log (newest last) and the instances; leaves the list alone when nothing changed. */
export function renderServerLog(events: ServerEvent[], instances: InstancesStatus): void {
  byId('instances').textContent = instancesText(instances);
  const lastSeq = events.at(-1)?.seq ?? 0;
  if (lastSeq === shownSeq && events.length > 0) return;
  shownSeq = lastSeq;
  const list = byId('server-log');
  const chargesByKey = new Map<string, number>();
  const lines = events.map((event) => {
    if ((event.kind !== 'charged' && event.kind !== 'rolled-back') || !event.key) return line(event, 0);
    const charges = (chargesByKey.get(event.key) ?? 0) + (event.kind === 'charged' ? 1 : -1); // a rolled-back charge never counted
    chargesByKey.set(event.key, charges);
    return line(event, event.kind === 'charged' ? charges : 0);
  });
  fillList(list, byId('server-log-empty'), lines);
  list.scrollTop = list.scrollHeight;
}
