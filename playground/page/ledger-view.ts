import type { Charge } from '../ledger.js';
import type { StoreKind } from '../store.js';
import { byId, make } from './dom.js';
import { duplicatesByKey, type Tone } from './duplicates.js';
import { euros, times } from './format.js';

/** The ledger's columns, also shown as labels when a row is stacked on a phone. */
const COLUMNS = ['Charge', 'Amount', 'For', 'Via', 'Idempotency-Key', 'Fence', 'Written by', 'Note'] as const;

function writtenBy(charge: Charge): string {
  return charge.writes
    .map((write) => (write.fence === null ? write.instance : `${write.instance} (fence ${write.fence})`))
    .join(' → ');
}

/**
 * What a row says: `sameKey` holds every charge of its key when the key was charged more than once.
 * A takeover's only write means the crashed attempt left none: on PostgreSQL its write rolled back
 * with its transaction.
 */
function note(charge: Charge, sameKey: Charge[] | undefined, store: StoreKind): string {
  const [first] = sameKey ?? [];
  if (sameKey && first) {
    return first === charge
      ? `charged ${times(sameKey.length)}: this key was charged again`
      : `duplicate of ${first.id}: same key, charged again`;
  }
  if (charge.writes.length > 1) return 'taken over after a crash: written again, charged once';
  if (charge.writes[0]?.takeover)
    return store === 'postgres'
      ? "taken over after a crash: the crashed attempt's write rolled back with its transaction, so this is the only write: charged once"
      : 'taken over after a crash: the crashed attempt left no write, charged once';
  return 'charged once';
}

function row(charge: Charge, sameKey: Charge[] | undefined, store: StoreKind): HTMLTableRowElement {
  const tone: Tone = sameKey ? 'bad' : 'good';
  const tr = make('tr', {
    className: sameKey ? 'duplicate' : 'once',
    data: { charge: charge.id, writes: String(charge.writes.length), tone },
  });
  const values = [
    charge.id,
    euros(charge.amountCents),
    charge.description,
    charge.channel === 'graphql' ? 'GraphQL' : 'tRPC',
    charge.requestKey ?? '—',
    charge.fence === null ? '—' : String(charge.fence),
    writtenBy(charge),
    note(charge, sameKey, store),
  ];
  tr.append(
    ...values.map((value, index) =>
      make('td', {
        text: value,
        className: index === 4 ? 'key' : index === 7 ? 'note' : '',
        data: { label: COLUMNS[index] ?? '' },
      }),
    ),
  );
  return tr;
}

/**
 * Shows the ledger, newest first, every charge of a key charged twice in red (the first one as the
 * charge the others duplicate), a charge made once in green; "No charges yet" when empty.
 */
export function renderLedger(charges: Charge[], store: StoreKind): void {
  const duplicates = duplicatesByKey(charges);
  const rows = charges.map((charge) => {
    const same = charge.requestKey === null ? undefined : duplicates.get(charge.requestKey);
    return row(charge, same, store);
  });
  byId('ledger').replaceChildren(...rows.reverse());
  byId('ledger-table').hidden = charges.length === 0;
  byId('ledger-empty').hidden = charges.length > 0;
}
