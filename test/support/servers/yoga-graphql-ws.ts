/**
 * Yoga's documented graphql-ws integration, as the tests wire it: a `graphql-ws` server on the
 * Yoga's HTTP server, every operation going through `yoga.getEnveloped` with a context of its own.
 */
import type { Server } from 'node:http';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';

/** What each operation's root value carries: the enveloped pipeline of its own context. */
interface Pipeline {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

/**
 * Serves `yoga` over graphql-ws on `httpServer` (at Yoga's endpoint). `contextOf` gives what each
 * operation's context adds to graphql-ws' own (the user, a key from the connection params, …).
 * Returns the WebSocket server.
 */
export function serveOverGraphqlWs(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Yoga, whatever its contexts
  yoga: YogaServerInstance<any, any>,
  httpServer: Server,
  contextOf: (ctx: Context<Record<string, unknown> | undefined, Extra>) => Record<string, unknown>,
): WebSocketServer {
  const wsServer = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint });
  useServer(
    {
      execute: (args) => (args.rootValue as Pipeline).execute(args) as Promise<ExecutionResult>,
      subscribe: (args) => (args.rootValue as Pipeline).subscribe(args) as Promise<ExecutionResult>,
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({ ...ctx, params, ...contextOf(ctx) });
        const document = enveloped.parse(params.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies Pipeline,
        };
      },
    },
    wsServer,
  );
  return wsServer;
}
