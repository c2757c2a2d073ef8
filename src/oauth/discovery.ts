import type { AuthClient } from "../core/client";
import { DiscoveryError, IssuerMismatchError, isTegataError } from "../core/errors";
import { processJson, send } from "../core/http";
import { context } from "../core/state";
import { ProviderMetadataSchema, type WireProviderMetadata } from "../wire/oauth";
import type { OAuthProvider } from "./providers";

/** OpenID Connect provider metadata. */
export type ProviderMetadata = WireProviderMetadata;

/**
 * Fetches the OpenID Connect discovery document of an issuer
 * (`{issuer}/.well-known/openid-configuration`) and checks that its `issuer` is exactly the one
 * asked for (OpenID Connect Discovery section 4.3). Cached per client: one request per issuer.
 *
 * @throws IssuerMismatchError when the document names another issuer; DiscoveryError when it
 * cannot be fetched or lacks required fields.
 * @example
 * ```ts
 * const metadata = await discover(auth, "https://accounts.google.com");
 * ```
 */
export function discover(auth: AuthClient, issuer: string | OAuthProvider): Promise<ProviderMetadata> {
  const provider = typeof issuer === "string" ? undefined : issuer;
  const id = typeof issuer === "string" ? issuer : issuer.issuer;
  if (provider?.metadata?.authorization_endpoint && provider.metadata.token_endpoint) {
    return Promise.resolve({ issuer: id, ...provider.metadata } as ProviderMetadata);
  }
  const key = `oauth:discovery:${id}`;
  const cache = context(auth).cache;
  const cached = cache.get(key) as Promise<ProviderMetadata> | undefined;
  if (cached) return cached;
  const promise = fetchMetadata(auth, id).then((metadata) => ({ ...metadata, ...provider?.metadata }));
  cache.set(key, promise);
  promise.catch(() => cache.delete(key)); // failures are not cached
  return promise;
}

async function fetchMetadata(auth: AuthClient, issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let metadata: ProviderMetadata;
  try {
    const response = await send(context(auth).http, { method: "GET", url });
    metadata = await processJson(response, ProviderMetadataSchema);
  } catch (error) {
    if (isTegataError(error, "response_validation") || isTegataError(error, "http_error")) {
      throw new DiscoveryError(`Discovery of ${issuer} failed`, {
        cause: error,
        status: error.status,
      });
    }
    throw error;
  }
  if (metadata.issuer !== issuer) {
    throw new IssuerMismatchError(`Discovery of ${issuer} returned another issuer`);
  }
  return metadata;
}
