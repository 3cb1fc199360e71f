import type { ExecutionResult, GraphQLFormattedError } from 'graphql';

/**
 * The default storage policy. A result is stored (and replayed to every retry) when it has no
 * errors, when at least one root field produced data (a side effect happened), or when one of its
 * errors is client-facing: it has an `extensions.code` and is not marked `extensions.unexpected`
 * (Yoga's masked errors are). A result with only unexpected errors and no data frees the key, so
 * a retry runs the mutation again.
 */
export function shouldStoreResult(result: ExecutionResult): boolean {
  const errors = result.errors ?? [];
  if (errors.length === 0) return true;
  if (hasRootData(result.data)) return true;
  return errors.some(isClientFacing);
}

function hasRootData(data: ExecutionResult['data']): boolean {
  return data !== null && data !== undefined && Object.values(data).some((value) => value !== null && value !== undefined);
}

function isClientFacing(error: GraphQLFormattedError): boolean {
  const extensions = error.extensions;
  return typeof extensions?.code === 'string' && extensions.unexpected !== true;
}
