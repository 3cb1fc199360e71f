/**
 * Every value of request header `name` as Node's `IncomingMessage.headersDistinct` keeps them, or
 * `undefined` when `request` is not a Node request. Node (and so a fetch `Headers` built from it)
 * joins a repeated header into one `a, b` string, which can happen to form one valid RFC 8941
 * string (`"a` + `b"`); only the distinct values show that the header was sent twice.
 */
export function distinctHeaderValues(request: unknown, name: string): string[] | undefined {
  if (typeof request !== 'object' || request === null || !('headersDistinct' in request)) return undefined;
  const distinct = (request as { headersDistinct: Record<string, string[] | undefined> }).headersDistinct;
  return distinct[name.toLowerCase()];
}
