import { describe, expect, it } from 'vitest';
import { newOwner } from '../../../src/core/owner.js';

describe('newOwner', () => {
  it('mints a different token for every acquisition', () => {
    const owners = Array.from({ length: 10_000 }, () => newOwner());
    expect(new Set(owners).size).toBe(owners.length);
  });

  it('starts every token with 96 random bits drawn for this process', () => {
    const [first, second] = [newOwner(), newOwner()];
    const prefix = first.slice(0, first.indexOf('.') + 1);
    expect(prefix).toMatch(/^[A-Za-z0-9_-]{16}\.$/);
    expect(second.startsWith(prefix)).toBe(true);
  });
});
