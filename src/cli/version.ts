/**
 * The package's version (inlined by the bundler).
 *
 * @module
 */
import { version } from "../../package.json";

export const VERSION: string = version;
