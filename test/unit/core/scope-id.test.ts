// Pins the memoized scope id (performance work, December 2026): the memo never changes an answer.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scopeId } from '../../../src/core/scope.js';

const direct = (scope: string | null) =>
  createHash('sha256')
    .update(JSON.stringify([scope]))
    .digest('hex');

describe('scopeId', () => {
  it('is the SHA-256 of the JSON-encoded scope, for the anonymous scope too, before and after it is memoized', () => {
    for (const scope of ['user-1', 'user-2', null, '', '["x"]', 'ü']) {
      expect(scopeId(scope)).toBe(direct(scope));
      expect(scopeId(scope)).toBe(direct(scope));
    }
    expect(scopeId(null)).not.toBe(scopeId('null'));
  });

  it('answers the same for every scope while more scopes come than the memo keeps', () => {
    const scopes = Array.from({ length: 3000 }, (_, index) => `tenant-${index}`);
    for (const scope of scopes) expect(scopeId(scope)).toBe(direct(scope));
    for (const scope of scopes.reverse()) expect(scopeId(scope)).toBe(direct(scope));
  });
});
