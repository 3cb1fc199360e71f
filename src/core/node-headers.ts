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

/**
 * Every value of header `name` in a plain headers object (`{ 'Idempotency-Key': 'k' }`), found
 * case-insensitively as HTTP header names are (RFC 9110 §5.1): a hand-built `ctx.headers` keeps the
 * client's casing, Node's `req.headers` lowercases. An array value is a header sent more than once;
 * the same header under two casings counts once when both carry the same string, else as a header
 * sent twice (a malformed key): no value is picked silently. Values that are not strings are
 * returned as they are, for the key parser to refuse. `undefined` when the object has no such header.
 */
export function plainHeaderValues(headers: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  const values = Object.entries(headers)
    .filter(([header, value]) => header.toLowerCase() === wanted && value !== undefined)
    .map(([, value]) => value);
  if (values.length <= 1) return values[0];
  const [first] = values;
  if (typeof first === 'string' && values.every((value) => value === first)) return first;
  return values.flat();
}
