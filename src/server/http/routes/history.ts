/**
 * The history endpoints of the contract (being built).
 *
 * @module
 */
import type { Route } from "../env";

/** @internal */
export const historyRoutes: Route[] = [];
