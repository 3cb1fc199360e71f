import { getArgumentValues, type GraphQLSchema } from 'graphql';
import { IdempotencyKeyInvalidError } from '../core/errors.js';
import type { MutationOperation } from './mutation.js';

/**
 * The key sent as an argument: `argumentName` on a root mutation field, or as a field of one of
 * its input object arguments, with the coerced variables (see `coerceVariables`) applied. Returns
 * `undefined` when no root field carries one, or when the variables did not coerce (execution then
 * reports that error). Throws {@link IdempotencyKeyInvalidError} when the root fields carry different keys.
 */
export function findKeyArgument(
  schema: GraphQLSchema,
  mutation: MutationOperation,
  variables: Record<string, unknown> | undefined,
  argumentName: string,
): unknown {
  const mutationFields = schema.getMutationType()?.getFields();
  if (!mutationFields || !variables) return undefined;

  const keys = new Set<unknown>();
  for (const node of mutation.rootFields) {
    const field = mutationFields[node.name.value];
    if (!field) continue;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      continue; // An invalid argument value: execution reports it.
    }
    const key = keyIn(args, argumentName);
    if (key !== undefined && key !== null) keys.add(key);
  }
  if (keys.size > 1) {
    throw new IdempotencyKeyInvalidError(`The mutation fields of one operation carry different "${argumentName}" values.`);
  }
  return keys.values().next().value;
}

/** The value of `name` among the arguments, or among the fields of an input object argument. */
function keyIn(args: Record<string, unknown>, name: string): unknown {
  if (args[name] !== undefined) return args[name];
  for (const value of Object.values(args)) {
    if (isPlainRecord(value) && value[name] !== undefined) return value[name];
  }
  return undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
