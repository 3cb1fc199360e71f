#!/usr/bin/env node
/**
 * `npx idempotent-mutations inspect|forget …`: looks at or forgets one record of a Redis (one node
 * or a Cluster) or PostgreSQL store, for operators. Prints JSON; never the stored result unless
 * `--include-result`.
 * Exit codes: 0 done (record found or forgotten), 3 no such record, 2 bad usage, 1 the store failed.
 */
import process from 'node:process';
import { parseArgs } from 'node:util';
import { forgetRecord, inspectRecord, type RecordAddress } from './core/inspect.js';
import { openCliStore, parseClusterAddress, type CliStore, type CliStoreOptions } from './cli-store.js';

const USAGE = `Usage:
  idempotent-mutations inspect|forget
    ((--redis <url> | --redis-cluster <node,…>) [--prefix <prefix>]
     | --postgres <url> [--schema <schema>] [--table <table>])
    (--scope <scope> | --anonymous) --operation <operation> --key <key>
    [--include-result] [--timeout <ms>]

  inspect   prints the record as JSON: state, fence, takeover, leaseExpiresAt, expiresAt
            (the stored result only with --include-result)
  forget    deletes the record, so the next request with the key runs the mutation again

  --scope       the caller's id as the server's scope option returns it
  --anonymous   the shared anonymous scope (servers configured with scope: false)
  --operation   GraphQL: the mutation's root field names, sorted and joined by ","
                tRPC: the procedure path, e.g. payments.create
  On exit 3, hints on stderr name what may be wrong in the address.
  --key         the Idempotency-Key the client sent (without the header's double quotes)
  --redis-cluster
                a Redis Cluster: some of its nodes, comma-separated, redis://[user:password@]host:port
                or host:port (the client finds the others); every node takes the first's scheme
                (rediss:// for TLS) and credentials
  --prefix      Redis key prefix of the store (default idem:)
  --timeout     longest wait for the store, in ms (default 2000)

Exit codes: 0 done, 3 no such record, 2 bad usage, 1 the store failed.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        redis: { type: 'string' },
        'redis-cluster': { type: 'string' },
        prefix: { type: 'string' },
        postgres: { type: 'string' },
        schema: { type: 'string' },
        table: { type: 'string' },
        scope: { type: 'string' },
        anonymous: { type: 'boolean' },
        operation: { type: 'string' },
        key: { type: 'string' },
        'include-result': { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [command, ...rest] = positionals;
  if (command !== 'inspect' && command !== 'forget')
    throw new UsageError(
      command ? `unknown command "${command}": use inspect or forget.` : 'missing command: inspect or forget.',
    );
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}".`);
  const stores = [values.redis, values['redis-cluster'], values.postgres].filter((value) => value !== undefined);
  if (stores.length !== 1)
    throw new UsageError('give exactly one store: --redis <url>, --redis-cluster <node,…> or --postgres <url>.');
  if (values.prefix !== undefined && values.postgres !== undefined)
    throw new UsageError('--prefix goes with --redis or --redis-cluster.');
  if ((values.schema ?? values.table) !== undefined && values.postgres === undefined)
    throw new UsageError('--schema and --table go with --postgres.');
  if ((values.scope === undefined) === (values.anonymous !== true))
    throw new UsageError('give exactly one of --scope <scope> or --anonymous.');
  if (values.scope === '')
    throw new UsageError(
      '--scope is empty: a server stores no record without a caller (use --anonymous for scope: false).',
    );
  if (!values.operation) throw new UsageError('missing --operation <operation>.');
  const fields = [...new Set(values.operation.split(','))].sort().join(',');
  if (values.operation.includes(',') && fields !== values.operation)
    throw new UsageError(
      `--operation "${values.operation}": a GraphQL operation's root fields are sorted, without repeats: ` +
        `use --operation ${fields}.`,
    );
  if (!values.key) throw new UsageError('missing --key <key>.');
  if (values['include-result'] && command !== 'inspect') throw new UsageError('--include-result goes with inspect.');
  const timeout = values.timeout === undefined ? 2_000 : Number(values.timeout);
  if (!Number.isSafeInteger(timeout) || timeout < 1)
    throw new UsageError(`--timeout must be a whole number of milliseconds ≥ 1, got "${values.timeout}".`);
  const address: RecordAddress = {
    scope: values.anonymous ? null : values.scope!,
    operation: values.operation,
    key: values.key,
  };
  let redisCluster;
  try {
    redisCluster = values['redis-cluster'] === undefined ? undefined : parseClusterAddress(values['redis-cluster']);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { redis, prefix, postgres, schema, table } = values;
  const store: CliStoreOptions = { redis, redisCluster, prefix, postgres, schema, table };
  return { command, address, includeResult: values['include-result'] === true, timeout, store };
}

type Request = NonNullable<ReturnType<typeof parse>>;

/** Why the address of a record that is not there may be wrong, one line each (none when nothing shows it). */
async function missHints({ address, store }: Request, opened: CliStore): Promise<string[]> {
  const hints: string[] = [];
  if (/^".*"$/s.test(address.key))
    hints.push(
      'the key is in double quotes, as an Idempotency-Key header carries it (an RFC 8941 string): ' +
        'pass --key without them.',
    );
  if ((await opened.hasKeys?.()) === false)
    hints.push(`no key at all starts with the prefix "${store.prefix ?? 'idem:'}": check --prefix (default idem:).`);
  return hints;
}

async function run(opened: CliStore, request: Request): Promise<number> {
  let found;
  if (request.command === 'inspect') {
    const { id, record } = await inspectRecord(opened.store, {
      ...request.address,
      includeResult: request.includeResult,
    });
    process.stdout.write(`${JSON.stringify({ id, record: record ?? null }, null, 2)}\n`);
    found = record !== undefined;
  } else {
    found = await forgetRecord(opened.store, request.address);
    process.stdout.write(`${JSON.stringify({ forgotten: found }, null, 2)}\n`);
  }
  if (found) return 0;
  for (const hint of await missHints(request, opened))
    process.stderr.write(`idempotent-mutations: no such record; ${hint}\n`);
  return 3;
}

async function main(argv: string[]): Promise<number> {
  let request;
  try {
    request = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`idempotent-mutations: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!request) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let opened;
  try {
    opened = await openCliStore(request.store, request.timeout);
    return await run(opened, request);
  } catch (error) {
    const { message } = error as Error;
    // --redis on a node of a Cluster: the record's slot is on another node.
    const hint =
      request.store.redis !== undefined && /^(MOVED|ASK) /.test(message)
        ? ' (a Cluster node: use --redis-cluster)'
        : '';
    process.stderr.write(`idempotent-mutations: ${message}${hint}\n`);
    return 1;
  } finally {
    await opened?.close();
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
