import {
  GraphQLError,
  Kind,
  validate,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import { directiveValues, type CoercedVariables } from './graphql-compat.js';
import { oneKey, readKeyCarrier } from './key-carrier.js';
import type { MutationOperation } from './mutation.js';

/** The directive's name, as Shopify's Admin API spells it. */
export const IDEMPOTENT_DIRECTIVE = 'idempotent';

/**
 * The SDL of Shopify's `@idempotent(key:)` directive, to add to a schema's type definitions:
 * `createPayment(input: …) @idempotent(key: $key) { … }` carries the mutation's key in the operation.
 */
export const idempotentDirectiveTypeDefs = /* GraphQL */ `directive @${IDEMPOTENT_DIRECTIVE}(key: String!) on FIELD`;

/**
 * A validation rule: `@idempotent` is allowed only on a root field of a mutation. Anywhere else
 * (a query, a subscription, a nested field) it would be silently ignored, so it is an error.
 */
export function IdempotentDirectiveOnRootMutationRule(context: ValidationContext): ASTVisitor {
  return {
    Directive(node, _key, _parent, _path, ancestors) {
      if (node.name.value !== IDEMPOTENT_DIRECTIVE) return;
      const fields = ancestors.filter(
        (ancestor): ancestor is FieldNode =>
          !Array.isArray(ancestor) && (ancestor as { kind?: string }).kind === Kind.FIELD,
      );
      const mutationType = context.getSchema().getMutationType();
      if (fields.length === 1 && mutationType && context.getParentType() === mutationType) return;
      context.reportError(
        new GraphQLError('The @idempotent directive is allowed only on a root field of a mutation.', { nodes: [node] }),
      );
    },
  };
}

/** The errors {@link IdempotentDirectiveOnRootMutationRule} finds in a document, for servers that take no extra validation rules from a plugin. */
export function misplacedIdempotentDirectives(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  return schema.getDirective(IDEMPOTENT_DIRECTIVE)
    ? validate(schema, document, [IdempotentDirectiveOnRootMutationRule])
    : [];
}

/**
 * The key the root mutation fields carry in `@idempotent(key:)`, with the coerced variables applied;
 * `undefined` when none does (or the schema does not declare the directive, or the variables did not
 * coerce). Throws {@link IdempotencyKeyInvalidError} when the root fields carry different keys or a
 * key does not coerce, and an error naming the directive when it cannot be read at all.
 */
export function findKeyDirective(
  schema: GraphQLSchema,
  mutation: MutationOperation,
  variables: CoercedVariables | undefined,
): unknown {
  const directive = schema.getDirective(IDEMPOTENT_DIRECTIVE);
  if (!directive || !variables) return undefined;
  const keys = mutation.rootFields.map(
    (field) =>
      readKeyCarrier(`@${IDEMPOTENT_DIRECTIVE} directive on "${field.name.value}"`, () =>
        directiveValues(directive, field, variables),
      )?.key,
  );
  return oneKey(keys, 'The mutation fields of one operation carry different @idempotent keys.');
}
