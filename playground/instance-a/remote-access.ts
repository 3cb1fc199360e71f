import type { BeginOutcome, IdempotencyStore } from '../../src/core/store.js';
import { StaleFenceError, type Charge, type LedgerAccess } from '../ledger.js';
import { RemoteError, type ParentLink } from './parent-link.js';

/**
 * The playground's memory store, reached from instance A: each transition runs in the playground's
 * process on the one store object both instances share, atomically as it does for B.
 */
export function remoteStore(link: ParentLink): IdempotencyStore {
  return {
    begin: (request) => link.call<BeginOutcome>('store', 'begin', [request]),
    extend: (request) => link.call<boolean>('store', 'extend', [request]),
    complete: (request) => link.call<boolean>('store', 'complete', [request]),
    release: (request) => link.call<boolean>('store', 'release', [request]),
  };
}

/** The ledger (the payments database), reached from instance A. A refused stale write comes back as a `StaleFenceError`. */
export function remoteLedger(link: ParentLink): LedgerAccess {
  return {
    transactional: false,
    async charge(request, details) {
      try {
        return await link.call<Charge>('ledger', 'charge', [request, details]);
      } catch (error) {
        if (error instanceof RemoteError && error.name === 'StaleFenceError') throw new StaleFenceError(error.message);
        throw error;
      }
    },
    list: () => link.call<Charge[]>('ledger', 'list', []),
  };
}
