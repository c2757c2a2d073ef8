/**
 * What the two fuzz suites (the mock's and the auth server's) share: how a request is broken. A
 * recipe keeps a valid body and changes a few members, or replaces it with arbitrary JSON, text or
 * nothing; references (`{ ref: key }`) name real tokens of the run's pool, resolved when the
 * request is built.
 */
import fc from "fast-check";

/** Values of the wrong type for any member. */
export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** How a request's body is made. */
export type Recipe =
  | { t: "mutate"; changes: Array<[string, unknown]> }
  | { t: "json"; value: unknown }
  | { t: "text"; value: string }
  | { t: "empty" };

/** The run's real tokens and credentials, by name. */
export type Pool = Record<string, string>;

/** A member value, with a `{ ref }` replaced by the pool's entry. */
export function resolve(value: unknown, pool: Pool): unknown {
  if (value && typeof value === "object" && "ref" in value) return pool[(value as { ref: string }).ref] ?? "";
  return value;
}

/** The object a recipe makes of a valid body (own `__proto__` keys included, as JSON can carry them). */
export function mutate(valid: Record<string, unknown>, changes: Array<[string, unknown]>, pool: Pool) {
  const body: Record<string, unknown> = { ...valid };
  for (const [key, value] of changes) {
    if (value === undefined) delete body[key];
    else
      Object.defineProperty(body, key, { value: resolve(value, pool), enumerable: true, configurable: true });
  }
  return body;
}

/** Lone surrogates cannot be percent-encoded: a form carries U+FFFD for them, as browsers send it. */
export const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/** A body as `application/x-www-form-urlencoded` (non-string members as JSON). */
export const asForm = (body: Record<string, unknown>) =>
  Object.entries(body)
    .map(
      ([k, v]) =>
        `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(typeof v === "string" ? v : JSON.stringify(v)))}`,
    )
    .join("&");

/**
 * A body: mostly the endpoint's valid body with one or two fields changed (an odd string, a wrong
 * type, another real token, or deleted), sometimes arbitrary JSON, arbitrary text (or one of
 * `texts`) or nothing. Each suite gives its own odd strings, references and texts.
 */
export function recipeOf(
  fields: readonly string[],
  parts: { odd: fc.Arbitrary<unknown>; ref: fc.Arbitrary<unknown>; texts: readonly string[] },
): fc.Arbitrary<Recipe> {
  const value = fc.oneof(
    { weight: 5, arbitrary: parts.odd },
    { weight: 2, arbitrary: wrongType },
    { weight: 2, arbitrary: parts.ref },
    { weight: 1, arbitrary: fc.constant(undefined) }, // delete the field
  );
  const field = fc.oneof(
    ...(fields.length > 0 ? [{ weight: 4 * fields.length, arbitrary: fc.constantFrom(...fields) }] : []),
    { weight: 1, arbitrary: fc.constantFrom("extra", "__proto__") },
  );
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        t: fc.constant("mutate" as const),
        changes: fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 2 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("json" as const), value: fc.jsonValue() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("text" as const),
        value: fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), fc.constantFrom(...parts.texts)),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: "empty" as const }) },
  );
}

/**
 * Which pool entries a request needs — those its valid body reads, its `{ ref }`s, its bearer
 * token (`"valid"`, a `{ bearer }` ref, or a header template naming `{access}` or `{truncated}`) —
 * made with `get`, so that a run asks only for what it uses.
 */
export async function realize(
  get: (key: string) => Promise<string>,
  target: { valid(pool: Pool): unknown },
  req: { auth: unknown; body: Recipe },
): Promise<Pool> {
  const keys = new Set<string>(req.auth === "valid" ? ["access"] : []);
  const recorder = new Proxy(
    {},
    {
      get: (_t, key) => {
        keys.add(String(key));
        return "";
      },
    },
  );
  target.valid(recorder as Pool);
  const visit = (v: unknown) => {
    if (v && typeof v === "object" && "ref" in v) keys.add(String((v as { ref: unknown }).ref));
    if (v && typeof v === "object" && "bearer" in v) visit((v as { bearer: unknown }).bearer);
  };
  if (req.body.t === "mutate") for (const [, v] of req.body.changes) visit(v);
  visit(req.auth);
  if (typeof req.auth === "string" && req.auth.includes("{access}")) keys.add("access");
  if (typeof req.auth === "string" && req.auth.includes("{truncated}")) keys.add("truncated");
  const pool: Pool = {};
  for (const key of keys) pool[key] = await get(key);
  return pool;
}
