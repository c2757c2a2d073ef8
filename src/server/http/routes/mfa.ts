/**
 * The mfa endpoints of the contract (being built).
 *
 * @module
 */
import type { Route } from "../env";

/** @internal */
export const mfaRoutes: Route[] = [];
