import { ZodError, ZodRealError } from 'zod';
import { serializer } from '../../../../src/index.js';

/**
 * Registers zod 4's `ZodError` on the library's superjson instance, as the middleware's TSDoc shows,
 * so a replayed error's cause is a `ZodError` again (`instanceof` and `issues` work in the formatter).
 */
export function registerZodError(): void {
  serializer.registerCustom<ZodError, { issues: string }>(
    {
      isApplicable: (value): value is ZodError => value instanceof ZodError,
      serialize: (error) => ({ issues: JSON.stringify(error.issues) }),
      deserialize: ({ issues }) => new ZodRealError(JSON.parse(issues)),
    },
    'ZodError',
  );
}
