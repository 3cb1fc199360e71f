import { getNamedType, isInputObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { argumentValues, type CoercedVariables } from './graphql-compat.js';
import { oneKey, readKeyCarrier } from './key-carrier.js';
import { assertNoMisplacedKeyArgument } from './misplaced-key-argument.js';
import type { MutationOperation } from './mutation.js';

/**
 * The key sent as an argument: `argumentName` on a root mutation field, or as a field of one of
 * its input object arguments, with the coerced variables (see `coerceVariables`) applied. Returns
 * `undefined` when no root field carries one, or when the variables did not coerce (execution then
 * reports that error and runs no resolver). Throws {@link IdempotencyKeyInvalidError} when the root
 * fields carry different keys, an argument value does not coerce, or an `argumentName` value sits
 * where it is not read (see {@link assertNoMisplacedKeyArgument}), and an error naming the field
 * when its arguments cannot be read at all: never "no key" for a carrier it could not read.
 */
export function findKeyArgument(
  schema: GraphQLSchema,
  mutation: MutationOperation,
  variables: CoercedVariables | undefined,
  argumentName: string,
): unknown {
  const mutationFields = schema.getMutationType()?.getFields();
  if (!mutationFields || !variables) return undefined;
  assertNoMisplacedKeyArgument(schema, mutation, variables, argumentName);
  const keys = mutation.rootFields.map((node) => {
    const field = mutationFields[node.name.value];
    if (!field) return undefined;
    const args = readKeyCarrier(`arguments of the mutation field "${field.name}"`, () =>
      argumentValues(field, node, variables),
    );
    return keyIn(field, args, argumentName);
  });
  return oneKey(keys, `The mutation fields of one operation carry different "${argumentName}" values.`);
}

/**
 * The value of the argument `name`, or of the field `name` of an argument whose type is an input
 * object type that declares it. Free-form values (a JSON scalar holding an `idempotencyKey`) are not
 * key carriers: their content is the client's data, not a key.
 */
function keyIn(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, name: string): unknown {
  if (args[name] !== undefined && field.args.some((argument) => argument.name === name)) return args[name];
  for (const argument of field.args) {
    const type = getNamedType(argument.type);
    const value = args[argument.name];
    if (
      isInputObjectType(type) &&
      name in type.getFields() &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value)
    ) {
      const key = (value as Record<string, unknown>)[name];
      if (key !== undefined) return key;
    }
  }
  return undefined;
}
