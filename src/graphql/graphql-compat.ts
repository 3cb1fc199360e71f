import {
  getArgumentValues,
  getDirectiveValues,
  getVariableValues,
  versionInfo,
  type DirectiveNode,
  type FieldNode,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * The graphql majors the GraphQL kit reads values with. graphql 17 changed `getVariableValues`,
 * `getArgumentValues` and `getDirectiveValues`; this module is the one place that knows both forms.
 */
export const SUPPORTED_GRAPHQL_MAJORS: readonly number[] = [16, 17];

/** The installed graphql's major version. */
export const graphqlMajor: number = versionInfo.major;

/**
 * Throws, naming the supported range, when the installed graphql is a major this kit does not know:
 * its value functions may have changed shape, and a key carrier read wrongly would run a keyed mutation
 * twice. `adapter` names the caller; `supported` narrows the range for a server that supports fewer
 * majors, and `reason` says why.
 */
export function assertSupportedGraphQL(
  adapter: string,
  supported: readonly number[] = SUPPORTED_GRAPHQL_MAJORS,
  reason = '',
): void {
  if (supported.includes(graphqlMajor)) return;
  const range = supported.map((major) => `${major}.x`).join(' or ');
  const installed = `${versionInfo.major}.${versionInfo.minor}.${versionInfo.patch}`;
  throw new Error(
    `${adapter}: graphql ${installed} is installed, but idempotent-mutations supports graphql ${range} here${reason ? ` (${reason})` : ''}. Install a supported graphql version.`,
  );
}

/**
 * An operation's coerced variables: `values` by name, and `native`, the form the installed graphql's
 * `getArgumentValues` / `getDirectiveValues` take (the plain map in 16, `{ sources, coerced }` in 17).
 */
export interface CoercedVariables {
  readonly values: Readonly<Record<string, unknown>>;
  readonly native: unknown;
}

/** What `getVariableValues` returns in graphql 16 (`coerced`) or 17 (`variableValues`). */
interface VariableValuesResult {
  coerced?: Record<string, unknown>;
  variableValues?: { coerced: Record<string, unknown> };
  errors?: readonly unknown[];
}

/**
 * The operation's variables coerced as execution will, defaults applied; `undefined` when they do not
 * coerce (execution then reports the error and runs no resolver).
 */
export function coerceVariableValues(
  schema: GraphQLSchema,
  definition: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>>,
): CoercedVariables | undefined {
  const result = getVariableValues(schema, definition.variableDefinitions ?? [], inputs) as VariableValuesResult;
  if (result.errors) return undefined;
  if (result.variableValues) return { values: result.variableValues.coerced, native: result.variableValues };
  if (result.coerced) return { values: result.coerced, native: result.coerced };
  throw new Error(`graphql ${graphqlMajor}: getVariableValues returned neither coerced values nor errors.`);
}

type ArgumentValues = (def: unknown, node: unknown, variables: unknown) => Record<string, unknown>;
type DirectiveValues = (def: unknown, node: unknown, variables: unknown) => Record<string, unknown> | undefined;

/** The field's argument values on `node`, variables applied. Throws when a value does not coerce. */
export function argumentValues(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: CoercedVariables,
): Record<string, unknown> {
  return (getArgumentValues as unknown as ArgumentValues)(field, node, variables.native);
}

/** The directive's argument values on `node`, variables applied; `undefined` when `node` does not carry it. */
export function directiveValues(
  directive: GraphQLDirective,
  node: { readonly directives?: readonly DirectiveNode[] },
  variables: CoercedVariables,
): Record<string, unknown> | undefined {
  return (getDirectiveValues as unknown as DirectiveValues)(directive, node, variables.native);
}
