/**
 * Wire schemas of social sign-in at the server: an OpenID Connect provider's ID token handed to
 * the tegata server, and the linked identities (tegata/oauth).
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

const nonEmpty = () => z.string().check(z.minLength(1));

/** A provider id as the server's `providers` option names it (`google`, `apple`, `yahoo_japan`, …). */
const providerId = () => z.string().check(z.minLength(1), z.maxLength(64));
/** A compact JWS: three base64url parts (an ID token), at most 16 KiB. */
const idToken = () => z.string().check(z.minLength(1), z.maxLength(16_384));
/** The nonce the app put in the authorization request. */
const nonce = () => z.string().check(z.minLength(1), z.maxLength(512));

/** `POST /auth/identities/sign-in` request body. */
export const IdTokenSignInRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    provider: providerId(),
    id_token: idToken(),
    nonce: nonce(),
    /** A name for a new account when the ID token has none (Apple's first-sign-in `user` form field). */
    name: z.optional(z.string().check(z.maxLength(256))),
    /** "Keep me signed in". Default true. */
    remember: z.optional(z.boolean()),
  }),
);

/** `POST /auth/identities/link` request body. */
export const IdentityLinkRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    provider: providerId(),
    id_token: idToken(),
    nonce: nonce(),
    /** Re-authentication: the account's password… */
    password: z.optional(nonEmpty()),
    /** …or a second-factor code (TOTP or recovery code). */
    code: z.optional(nonEmpty()),
  }),
);

/** `POST /auth/identities/unlink` request body. */
export const IdentityUnlinkRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    provider: providerId(),
    subject: z.string().check(z.minLength(1), z.maxLength(255)),
  }),
);

/** One linked identity. */
export const IdentitySchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    provider: nonEmpty(),
    subject: nonEmpty(),
    email: z.nullable(z.string()),
    created_at: z.string(),
    last_used_at: z.nullable(z.string()),
  }),
);
/** One linked identity, as the wire carries it. */
export type WireIdentity = z.infer<typeof IdentitySchema>;

/** `GET /auth/identities` response body. */
export const IdentityListSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ identities: z.array(IdentitySchema) }),
);

/** `POST /auth/identities/link` response body. */
export const IdentityLinkResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ identity: IdentitySchema }),
);
