/**
 * Wire schemas of OpenID Connect discovery (tegata/oauth).
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

const url = () => z.string().check(z.minLength(1));

/** OpenID Connect Discovery 1.0 provider metadata (the fields tegata uses; others are kept). */
export const ProviderMetadataSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    issuer: url(),
    authorization_endpoint: url(),
    token_endpoint: url(),
    jwks_uri: z.optional(url()),
    revocation_endpoint: z.optional(url()),
    userinfo_endpoint: z.optional(url()),
    end_session_endpoint: z.optional(url()),
    response_modes_supported: z.optional(z.array(z.string())),
    code_challenge_methods_supported: z.optional(z.array(z.string())),
    id_token_signing_alg_values_supported: z.optional(z.array(z.string())),
    token_endpoint_auth_methods_supported: z.optional(z.array(z.string())),
    authorization_response_iss_parameter_supported: z.optional(z.boolean()),
  }),
);
export type WireProviderMetadata = z.infer<typeof ProviderMetadataSchema>;
