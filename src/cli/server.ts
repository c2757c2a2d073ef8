/**
 * The auth server as the commands make it, and the startup check of its secret.
 *
 * @module
 */
import { type AuthServer, type AuthServerOptions, createAuthServer } from "tegata/server";
import { CliError, messageOf, SECRET_HINT } from "./common";

/**
 * Creates the server; a `TypeError` of `createAuthServer` (a relative issuer…) becomes a
 * {@link CliError}.
 */
export function makeServer(options: AuthServerOptions): AuthServer {
  try {
    return createAuthServer(options);
  } catch (error) {
    throw new CliError(`tegata: ${messageOf(error)}`);
  }
}

/**
 * Opens the current signing key (made now on a new database) through the JWKS endpoint, so that a
 * `TEGATA_SECRET` other than the one the database was made with fails at startup, not at the first
 * sign-in. `failures` holds what the server reported to `onError` during the call.
 */
export async function checkSigningKeys(
  server: AuthServer,
  issuer: string,
  failures: unknown[],
): Promise<void> {
  const seen = failures.length;
  const response = await server.fetch(new Request(`${issuer}/.well-known/jwks.json`));
  await response.body?.cancel();
  if (response.ok) return;
  const error = failures[seen];
  if (error instanceof Error && error.name === "SealError") {
    throw new CliError(
      "tegata: TEGATA_SECRET does not open the signing keys stored in this database: start with the secret it was made with.\n" +
        `(A new database needs no particular secret. ${SECRET_HINT})`,
    );
  }
  throw new CliError(
    `tegata: the server cannot open its signing keys: ${error === undefined ? `status ${response.status}` : messageOf(error)}`,
  );
}
