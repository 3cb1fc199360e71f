import { getVariableValues, valueFromASTUntyped, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

/**
 * The operation's variables coerced as execution will see them, with their defaults applied, for
 * reading key arguments. `undefined` when they do not coerce (execution then reports the error and
 * runs nothing).
 */
export function coerceVariables(
  schema: GraphQLSchema,
  definition: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | undefined {
  const { coerced, errors } = getVariableValues(schema, definition.variableDefinitions ?? [], variables ?? {});
  return errors ? undefined : coerced;
}

/**
 * The operation's variables as the client sent them, each declared variable with its value or, when
 * it was not sent, its default from the document: what the fingerprint hashes. Not the coerced
 * values, which a custom scalar may turn into objects whose state a fingerprint cannot see (a class
 * with private fields), so `$amount: Int = 5` and `= 5000`, or two different scalar inputs, always differ.
 */
export function variablesAsSent(
  definition: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> {
  const sent: Record<string, unknown> = {};
  for (const { variable, defaultValue } of definition.variableDefinitions ?? []) {
    const name = variable.name.value;
    if (variables && Object.hasOwn(variables, name)) sent[name] = variables[name];
    else if (defaultValue) sent[name] = valueFromASTUntyped(defaultValue);
  }
  return sent;
}
