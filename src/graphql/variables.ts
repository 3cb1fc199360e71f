import { valueFromASTUntyped, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { coerceVariableValues, type CoercedVariables } from './graphql-compat.js';
import { readKeyCarrier } from './key-carrier.js';

/**
 * The operation's variables coerced as execution will see them, with their defaults applied, for
 * reading key arguments and directives. `undefined` when they do not coerce (execution then reports
 * the error and runs no resolver); an error that is not a coercion error is thrown (fails closed).
 */
export function coerceVariables(
  schema: GraphQLSchema,
  definition: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): CoercedVariables | undefined {
  return readKeyCarrier('operation variables', () => coerceVariableValues(schema, definition, variables ?? {}));
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
