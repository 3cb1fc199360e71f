import { GraphQLError, type ExecutionResult } from 'graphql';

/**
 * The result with every unexpected error (one that does not come from a GraphQLError thrown on
 * purpose) replaced by a generic `Unexpected error.` with code `INTERNAL_SERVER_ERROR`, as error
 * masking does by default: for storing a result that never went through the server's own masking.
 */
export function withUnexpectedErrorsMasked(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.some(isUnexpectedError)) return result;
  return {
    ...result,
    errors: result.errors.map((error) =>
      isUnexpectedError(error)
        ? new GraphQLError('Unexpected error.', {
            nodes: error.nodes,
            path: error.path,
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          })
        : error,
    ),
  };
}

/** Yoga's rule: an error that wraps a non-GraphQL error, or is marked `extensions.unexpected`. */
export function isUnexpectedError(error: GraphQLError): boolean {
  let current: unknown = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return !(current instanceof GraphQLError) || error.extensions.unexpected === true;
}
