import type { AuthClient } from "../core/client";
import {
  DiscoveryError,
  type HttpError,
  IssuerMismatchError,
  isTegataError,
  type ResponseValidationError,
} from "../core/errors";
import { processJson, send } from "../core/http";
import { context } from "../core/state";
import { ProviderMetadataSchema, type WireProviderMetadata } from "../wire/oauth";
import { assertProvider, type OAuthProvider } from "./providers";

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
  context(auth);
  if (typeof issuer !== "string") assertProvider(issuer, "discover(auth, issuer)");
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

/** Why a discovery response cannot be used, for the message. */
function reason(error: ResponseValidationError | HttpError): string {
  if (isTegataError(error, "http_error")) return `HTTP ${error.status}`;
  const issues = (error.cause as { issues?: Array<{ path?: unknown[] }> } | undefined)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const fields = [...new Set(issues.map((issue) => (issue.path ?? []).join(".") || "(the document)"))];
    return `missing or invalid ${fields.slice(0, 5).join(", ")}`;
  }
  return error.message.replace(/^The server's response /, "the document ");
}

async function fetchMetadata(auth: AuthClient, issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let metadata: ProviderMetadata;
  try {
    const response = await send(context(auth), { method: "GET", url });
    metadata = await processJson(response, ProviderMetadataSchema, auth.options.timeoutMs);
  } catch (error) {
    if (isTegataError(error, "response_validation") || isTegataError(error, "http_error")) {
      throw new DiscoveryError(`Discovery of ${issuer} failed (${url}: ${reason(error)})`, {
        cause: error,
        status: error.status,
      });
    }
    throw error;
  }
  if (metadata.issuer !== issuer) {
    throw new IssuerMismatchError(
      `Discovery of ${JSON.stringify(issuer)} returned the issuer ${JSON.stringify(metadata.issuer)}: they must be equal, character for character (OpenID Connect Discovery 4.3)`,
    );
  }
  return metadata;
}
