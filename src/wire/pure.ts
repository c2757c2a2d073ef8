/**
 * @internal builds a schema at once, in an expression bundlers may drop when nothing imports it.
 *
 * zod's builders are calls (`z.looseObject(…)`, `.check(…)`), and a bundler keeps a call whose
 * result is unused unless told it has no side effects: without this, an app that parses one
 * response would carry every schema of the module it comes from (the server's request schemas
 * included). The annotation survives tsup's build, so it reaches the app's bundler.
 */
// @__NO_SIDE_EFFECTS__
export function pure<T>(build: () => T): T {
  return build();
}
