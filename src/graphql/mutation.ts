import {
  getOperationAST,
  Kind,
  print,
  visit,
  BREAK,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** The mutation an execution will run: its definition and its root fields. */
export interface MutationOperation {
  definition: OperationDefinitionNode;
  /** Root fields, fragments at the root resolved; `__typename` left out. */
  rootFields: FieldNode[];
  /** The document's fragment definitions by name. */
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Operation identity: the sorted, distinct names (not aliases) of the root fields, joined by `,`. */
  identity: string;
  /**
   * Fingerprinted with the variables: the printed operation without its name (its directives,
   * variable definitions and selection) and the printed fragments it may use.
   */
  shape: { selection: string; fragments: string[] };
  /** Whether the operation or its fragments use `@defer` or `@stream`: its result would be streamed. */
  streams: boolean;
  /**
   * Whether a root field sits in a fragment spread with arguments (graphql 17's experimental
   * fragment arguments, `...F(key: $key)`): its argument values depend on the spread, which the key
   * carriers are not read with, so a keyed reading would fail open.
   */
  fragmentArguments: boolean;
}

/**
 * Analyses per document and operation name. Yoga's parser cache hands out the same document object
 * for the same query text, so a repeated mutation is printed once, not on every request.
 */
const analysed = new WeakMap<DocumentNode, Map<string | null | undefined, MutationOperation | undefined>>();

/** The mutation selected by `operationName`, or `undefined` when the execution is a query or subscription. */
export function findMutation(document: DocumentNode, operationName?: string | null): MutationOperation | undefined {
  let byOperation = analysed.get(document);
  if (!byOperation) analysed.set(document, (byOperation = new Map()));
  if (!byOperation.has(operationName)) byOperation.set(operationName, analyse(document, operationName));
  return byOperation.get(operationName);
}

function analyse(document: DocumentNode, operationName?: string | null): MutationOperation | undefined {
  const definition = getOperationAST(document, operationName);
  if (definition?.operation !== 'mutation') return undefined;
  const fragments = document.definitions.filter(
    (node): node is FragmentDefinitionNode => node.kind === Kind.FRAGMENT_DEFINITION,
  );
  const byName = new Map(fragments.map((fragment) => [fragment.name.value, fragment]));
  const rootFields = collectRootFields(definition.selectionSet, byName, new Set());
  return {
    definition,
    rootFields,
    fragments: byName,
    identity: [...new Set(rootFields.map((field) => field.name.value))].sort().join(','),
    // The name is left out (it does not change what runs); operation directives (`mutation @dryRun`) are not.
    shape: {
      selection: print({ ...definition, name: undefined }),
      fragments: fragments.map((fragment) => print(fragment)).sort(),
    },
    streams: [definition, ...fragments].some(usesStreamingDirective),
    fragmentArguments: [definition, ...fragments].some(usesFragmentArguments),
  };
}

/** Whether a fragment spread with arguments appears anywhere in the node. */
function usesFragmentArguments(node: OperationDefinitionNode | FragmentDefinitionNode): boolean {
  let found = false;
  visit(node, {
    FragmentSpread(spread) {
      if (((spread as { arguments?: readonly unknown[] }).arguments?.length ?? 0) === 0) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** Whether `@defer` or `@stream` appears anywhere in the node. */
function usesStreamingDirective(node: OperationDefinitionNode | FragmentDefinitionNode): boolean {
  let found = false;
  visit(node, {
    Directive(directive) {
      if (directive.name.value !== 'defer' && directive.name.value !== 'stream') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visited: Set<string>,
): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return selection.name.value === '__typename' ? [] : [selection];
      case Kind.INLINE_FRAGMENT:
        return collectRootFields(selection.selectionSet, fragments, visited);
      default: {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || visited.has(fragment.name.value)) return [];
        visited.add(fragment.name.value);
        return collectRootFields(fragment.selectionSet, fragments, visited);
      }
    }
  });
}
