/**
 * The social-identity endpoints: sign-in with a provider's ID token, list, link, unlink.
 *
 * @module
 */
import type { Route } from "../env";

/** @internal */
export const identityRoutes: Route[] = [];
