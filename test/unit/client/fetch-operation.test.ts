import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { isMutationBody, operationTypeOf } from '../../../src/client/fetch-operation.js';

const cases: [string, string | undefined, string | undefined][] = [
  ['mutation { pay }', undefined, 'mutation'],
  ['{ pay }', undefined, 'query'],
  ['query Q { pay }', undefined, 'query'],
  ['subscription S { paid }', undefined, 'subscription'],
  ['# mutation in a comment\nquery Q { pay }', undefined, 'query'],
  ['query Q { pay(note: "mutation { x }") }', undefined, 'query'],
  ['query Q { pay(note: """\n mutation \\""" { x }\n""") }', undefined, 'query'],
  ['fragment F on Mutation { pay }\nmutation M { ...F }', undefined, 'mutation'],
  ['fragment mutation on Query { pay } query Q { ...mutation }', undefined, 'query'],
  ['query A { a } mutation B { b }', 'B', 'mutation'],
  ['query A { a } mutation B { b }', 'A', 'query'],
  ['query A { a } mutation B { b }', undefined, undefined],
  ['mutation M($input: In = { a: { b: 1 } }) @tag(x: [1, 2]) { pay(input: $input) { id } }', undefined, 'mutation'],
  ['mutation @tag { pay }', undefined, 'mutation'],
  ['\ufeff  ,mutation{pay}', undefined, 'mutation'],
];

describe('operationTypeOf', () => {
  it.each(cases)('%j (operationName %s) is %s, as graphql-js says', (document, operationName, expected) => {
    expect(operationTypeOf(document, operationName)).toBe(expected);
    expect(getOperationAST(parse(document), operationName)?.operation).toBe(expected);
  });
});

describe('isMutationBody', () => {
  it('reads a JSON body and its operationName', () => {
    const body = { query: 'query A { a } mutation B { b }', operationName: 'B', variables: {} };
    expect(isMutationBody(JSON.stringify(body))).toBe(true);
    expect(isMutationBody(JSON.stringify({ ...body, operationName: 'A' }))).toBe(false);
  });

  it('passes on batches, persisted queries, non-JSON and non-string bodies', () => {
    expect(isMutationBody(JSON.stringify([{ query: 'mutation { a }' }]))).toBe(false);
    expect(isMutationBody(JSON.stringify({ extensions: { persistedQuery: { sha256Hash: 'abc' } } }))).toBe(false);
    expect(isMutationBody('mutation { a }')).toBe(false);
    expect(isMutationBody(undefined)).toBe(false);
    expect(isMutationBody(new URLSearchParams({ query: 'mutation { a }' }))).toBe(false);
  });
});
