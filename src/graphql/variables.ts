import { getVariableValues, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

/**
 * The operation's variables as execution will see them: coerced, with their defaults applied, so a
 * fingerprint tells `$amount: Int = 5` from `= 5000`. `undefined` when they do not coerce (execution
 * then reports the error and runs nothing).
 */
export function coerceVariables(
  schema: GraphQLSchema,
  definition: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | undefined {
  const { coerced, errors } = getVariableValues(schema, definition.variableDefinitions ?? [], variables ?? {});
  return errors ? undefined : coerced;
}
