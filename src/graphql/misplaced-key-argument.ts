import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { IdempotencyKeyInvalidError } from '../core/errors.js';
import { argumentValues, type CoercedVariables } from './graphql-compat.js';
import { readKeyCarrier } from './key-carrier.js';
import type { MutationOperation } from './mutation.js';

/** Per schema and argument name: whether a key could sit anywhere it is not read from. */
const schemasWithOtherPlaces = new WeakMap<GraphQLSchema, Map<string, boolean>>();

/**
 * Refuses a mutation that carries a value for `argumentName` where the key is not read from: an
 * argument of a nested field (`mutation { billing { charge(idempotencyKey: …) } }`), a field of an
 * input object inside a list (`inputs: [{ idempotencyKey: … }]`) or deeper than one input object.
 * Such a key would otherwise be dropped silently and the mutation run unkeyed, once per retry.
 * Throws {@link IdempotencyKeyInvalidError} naming where the key was found and where it belongs.
 */
export function assertNoMisplacedKeyArgument(
  schema: GraphQLSchema,
  mutation: MutationOperation,
  variables: CoercedVariables,
  argumentName: string,
): void {
  const root = schema.getMutationType();
  if (!root || !hasOtherPlaces(schema, argumentName)) return;
  const visited = new Set<string>();

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, atRoot: boolean): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        const where = `the field "${parent!.name}.${field.name}"`;
        if (field.args.length > 0) {
          const args = readKeyCarrier(`arguments of ${where}`, () => argumentValues(field, selection, variables));
          if (carriesMisplacedKey(field, args, argumentName, atRoot)) throw misplaced(argumentName, where);
        }
        if (selection.selectionSet) walk(selection.selectionSet, getNamedType(field.type), false);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, type ?? undefined, atRoot);
      } else {
        const fragment = mutation.fragments.get(selection.name.value);
        if (!fragment || visited.has(fragment.name.value)) continue;
        visited.add(fragment.name.value);
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, atRoot);
      }
    }
  };
  walk(mutation.definition.selectionSet, root, true);
}

/**
 * Whether the field's arguments hold a `name` value where it is not read: on a root field, only its
 * argument `name` and the field `name` of an input object argument are read; on any other field, none.
 */
function carriesMisplacedKey(
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  name: string,
  atRoot: boolean,
): boolean {
  return field.args.some((argument) => {
    const value = args[argument.name];
    if (!atRoot && argument.name === name && value !== undefined && value !== null) return true;
    return holdsKey(argument.type, value, name, atRoot && argument.name !== name);
  });
}

/** Whether the input value holds a non-null field `name` anywhere but at its top level, where `readable` allows one. */
function holdsKey(type: GraphQLInputType, value: unknown, name: string, readable: boolean): boolean {
  if (value === undefined || value === null) return false;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    return items.some((item) => holdsKey(nullable.ofType as GraphQLInputType, item, name, false));
  }
  if (!isInputObjectType(nullable) || typeof value !== 'object') return false;
  return Object.values(nullable.getFields()).some((field) => {
    const inner = (value as Record<string, unknown>)[field.name];
    if (field.name === name && inner !== undefined && inner !== null && !readable) return true;
    return holdsKey(field.type, inner, name, false);
  });
}

/** Whether the schema has a place for `name` besides a root mutation field's argument: an input object field, or a nested field's argument. */
function hasOtherPlaces(schema: GraphQLSchema, name: string): boolean {
  let byName = schemasWithOtherPlaces.get(schema);
  if (!byName) schemasWithOtherPlaces.set(schema, (byName = new Map()));
  let found = byName.get(name);
  if (found === undefined) {
    const root = schema.getMutationType();
    found = Object.values(schema.getTypeMap()).some((type) => {
      if (isInputObjectType(type)) return name in type.getFields();
      if (type === root || !(isObjectType(type) || isInterfaceType(type))) return false;
      return Object.values(type.getFields()).some((field) => field.args.some((argument) => argument.name === name));
    });
    byName.set(name, found);
  }
  return found;
}

function misplaced(name: string, where: string): IdempotencyKeyInvalidError {
  return new IdempotencyKeyInvalidError(
    `An idempotency key "${name}" was sent in ${where} where it is not read (a nested field, a list of input objects, or an input object inside another): the mutation would run unkeyed. Send the key as the root mutation field's "${name}" argument, as the field "${name}" of one of its input object arguments, or in the key header.`,
  );
}
