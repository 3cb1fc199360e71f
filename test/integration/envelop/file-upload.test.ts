/**
 * Attack: Yoga's built-in GraphQL multipart uploads (`scalar File`). The fingerprint must see the
 * uploaded file's content: the same file retried with the same key replays; another file with the
 * same key is 422.
 */
import { describe, expect, it } from 'vitest';
import { as, codes, startYoga, type GraphQLBody } from '../../support/servers/yoga.js';

async function upload(url: string, content: string, headers: Record<string, string>) {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: 'mutation ($file: File!) { importCsv(file: $file) { id bytes text } }',
      variables: { file: null },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new File([content], 'import.csv', { type: 'text/csv' }));
  const response = await fetch(url, {
    method: 'POST',
    body: form,
    headers: { 'graphql-require-preflight': '1', ...headers },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as GraphQLBody };
}

describe('file uploads (Yoga multipart)', () => {
  async function start() {
    let runs = 0;
    const server = await startYoga({
      transport: 'http',
      label: 'upload',
      typeDefs: /* GraphQL */ `
        scalar File
        type Query {
          ping: String
        }
        type Import {
          id: ID!
          bytes: Int!
          text: String!
        }
        type Mutation {
          importCsv(file: File!): Import!
        }
      `,
      resolvers: {
        Mutation: {
          importCsv: async (_: unknown, { file }: { file: File }) => {
            const text = await file.text();
            return { id: `i${++runs}`, bytes: text.length, text };
          },
        },
      },
    });
    return { server, runs: () => runs };
  }

  it('the same file retried with the same key is replayed, not run again', async () => {
    const { server, runs } = await start();
    const first = await upload(server.url, 'a,b\n1,2\n', as('alice', '"upload-same"'));
    expect(first.json.data).toEqual({ importCsv: { id: 'i1', bytes: 8, text: 'a,b\n1,2\n' } });
    const retry = await upload(server.url, 'a,b\n1,2\n', as('alice', '"upload-same"'));
    expect(codes(retry.json)).toBeUndefined();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(runs()).toBe(1);
  });

  it('another file with the same key is 422, not a replay of the first import', async () => {
    const { server, runs } = await start();
    await upload(server.url, 'a,b\n1,2\n', as('alice', '"upload-other"'));
    const other = await upload(server.url, 'x,y\n9,9\n', as('alice', '"upload-other"'));
    expect(codes(other.json)).toEqual(['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    expect(runs()).toBe(1);
  });
});
