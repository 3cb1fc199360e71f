import type { Charge } from '../ledger.js';
import { byId, make } from './dom.js';
import { euros } from './format.js';

/** The ledger's columns, also shown as labels when a row is stacked on a phone. */
const COLUMNS = ['Charge', 'Amount', 'For', 'Via', 'Idempotency-Key', 'Fence', 'Written by', 'Note'] as const;

function writtenBy(charge: Charge): string {
  return charge.writes
    .map((write) => (write.fence === null ? write.instance : `${write.instance} (fence ${write.fence})`))
    .join(' → ');
}

function note(charge: Charge, duplicateOf: Charge | undefined): string {
  if (duplicateOf) return `duplicate of ${duplicateOf.id}: same key, charged again`;
  if (charge.writes.length > 1) return 'taken over after a crash: written again, charged once';
  return '';
}

function row(charge: Charge, duplicateOf: Charge | undefined): HTMLTableRowElement {
  const tr = make('tr', {
    className: duplicateOf ? 'duplicate' : '',
    data: { charge: charge.id, writes: String(charge.writes.length) },
  });
  const values = [
    charge.id,
    euros(charge.amountCents),
    charge.description,
    charge.channel === 'graphql' ? 'GraphQL' : 'tRPC',
    charge.requestKey ?? '—',
    charge.fence === null ? '—' : String(charge.fence),
    writtenBy(charge),
    note(charge, duplicateOf),
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

/** Shows the ledger, newest first, duplicates (a second charge for one key) marked; "No charges yet" when empty. */
export function renderLedger(charges: Charge[]): void {
  const firstByKey = new Map<string, Charge>();
  const rows = charges.map((charge) => {
    const first = charge.requestKey === null ? undefined : firstByKey.get(charge.requestKey);
    if (charge.requestKey !== null && !first) firstByKey.set(charge.requestKey, charge);
    return row(charge, first);
  });
  byId('ledger').replaceChildren(...rows.reverse());
  byId('ledger-table').hidden = charges.length === 0;
  byId('ledger-empty').hidden = charges.length > 0;
}
