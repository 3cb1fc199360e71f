/** A GraphQL operation type. */
export type OperationType = 'query' | 'mutation' | 'subscription';

const NAME = /[_A-Za-z][_0-9A-Za-z]*/y;
const NAME_START = /^[_A-Za-z]/;
const OPERATION_KEYWORDS = new Set<string>(['query', 'mutation', 'subscription']);
const OPENERS = new Set(['{', '(', '[']);
const CLOSERS = new Set(['}', ')', ']']);

/**
 * Whether a request body is a single GraphQL mutation: a JSON string with a `query` whose selected
 * operation (by `operationName`, or the only one) is a `mutation`. Batched (array) bodies,
 * persisted queries without `query`, and non-string bodies count as "not a mutation".
 */
export function isMutationBody(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const { query, operationName } = parsed as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return false;
  return operationTypeOf(query, typeof operationName === 'string' ? operationName : undefined) === 'mutation';
}

/**
 * The type of the operation named `operationName` (or of the only operation) in a GraphQL
 * document, found with a small tokenizer instead of a full parser: it skips comments, strings and
 * block strings and reads only the top level. Returns `undefined` when no such operation exists
 * or the choice is ambiguous; it does not validate the document.
 */
export function operationTypeOf(document: string, operationName?: string): OperationType | undefined {
  const operations: { type: OperationType; name?: string }[] = [];
  let depth = 0;
  let state: 'definition' | 'operation-name' | 'body' = 'definition';
  for (const token of tokens(document)) {
    if (OPENERS.has(token)) {
      if (depth === 0 && state === 'definition' && token === '{') operations.push({ type: 'query' });
      if (depth === 0) state = 'body';
      depth++;
    } else if (CLOSERS.has(token)) {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && token === '}') state = 'definition';
    } else if (depth === 0 && state === 'definition') {
      if (OPERATION_KEYWORDS.has(token)) {
        operations.push({ type: token as OperationType });
        state = 'operation-name';
      } else {
        state = 'body'; // fragment, or a type-system definition
      }
    } else if (depth === 0 && state === 'operation-name') {
      const current = operations[operations.length - 1];
      if (current && NAME_START.test(token)) current.name = token;
      state = 'body';
    }
  }
  const chosen =
    operationName === undefined ? operations : operations.filter((operation) => operation.name === operationName);
  return chosen.length === 1 ? chosen[0]?.type : undefined;
}

/** Names and punctuators of a GraphQL document; whitespace, commas, comments and strings are skipped. */
function* tokens(source: string): Generator<string> {
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    if (char === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (source.startsWith('"""', i)) {
      i += 3;
      while (i < source.length && !source.startsWith('"""', i)) i += source.startsWith('\\"""', i) ? 4 : 1;
      i += 3;
    } else if (char === '"') {
      i++;
      while (i < source.length && source[i] !== '"' && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else {
      NAME.lastIndex = i;
      const name = NAME.exec(source);
      if (name) {
        yield name[0];
        i += name[0].length;
        continue;
      }
      if (!/[\s,\ufeff]/.test(char)) yield char;
      i++;
    }
  }
}
