/**
 * Wire schemas of passkeys (WebAuthn): the JSON forms of the ceremonies' options and responses
 * (WebAuthn Level 3 `PublicKeyCredentialCreationOptionsJSON`, `RegistrationResponseJSON`, …, with
 * binary values as base64url), the endpoints' request bodies and a stored passkey as the server
 * lists it. Declared here, not imported from a WebAuthn library, so that the contract's types pull
 * in no dependency.
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

/** base64url without padding, at most `max` characters. */
const b64url = (max: number) => z.string().check(z.maxLength(max), z.regex(/^[A-Za-z0-9_-]*$/));

/** A credential id, base64url (the spec allows up to 1023 bytes: 1364 characters). */
const credentialId = () => b64url(1364).check(z.minLength(1));

/** The transports a credential may say it is reachable by. */
const transports = () => z.optional(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(10)));

/** `RegistrationResponseJSON`: what `navigator.credentials.create()` gave, as JSON. */
export const RegistrationResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: credentialId(),
    rawId: credentialId(),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: b64url(8192).check(z.minLength(1)),
      attestationObject: b64url(32_768).check(z.minLength(1)),
      transports: transports(),
    }),
    clientExtensionResults: z.optional(z.looseObject({})),
    authenticatorAttachment: z.optional(z.string().check(z.maxLength(32))),
  }),
);
/** A registration response as the wire carries it. */
export type WireRegistrationResponse = z.infer<typeof RegistrationResponseSchema>;

/** `AuthenticationResponseJSON`: what `navigator.credentials.get()` gave, as JSON. */
export const AuthenticationResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: credentialId(),
    rawId: credentialId(),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: b64url(8192).check(z.minLength(1)),
      authenticatorData: b64url(8192).check(z.minLength(1)),
      // Up to an ML-DSA-87 signature (4,627 bytes): @simplewebauthn offers ML-DSA-44 first where the
      // runtime has it (Node 24, Chromium), and authenticators take it (Chromium's virtual one does).
      signature: b64url(8192).check(z.minLength(1)),
      userHandle: z.optional(z.nullable(b64url(128))),
    }),
    clientExtensionResults: z.optional(z.looseObject({})),
    authenticatorAttachment: z.optional(z.string().check(z.maxLength(32))),
  }),
);
/** An authentication response as the wire carries it. */
export type WireAuthenticationResponse = z.infer<typeof AuthenticationResponseSchema>;

/** Whether a string holds a control character (C0 or DEL). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A passkey's name: 1–64 characters, no control characters (the server trims it). */
const passkeyName = () =>
  z.string().check(
    z.minLength(1),
    z.maxLength(64),
    z.refine((value) => !hasControl(value)),
  );

/** `POST /auth/passkeys/register` request body. */
export const PasskeyRegisterRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    credential: RegistrationResponseSchema,
    /** The user's name of it ("MacBook"). Default: "Passkey". */
    name: z.optional(passkeyName()),
  }),
);

/** `POST /auth/passkeys/sign-in` request body. */
export const PasskeySignInRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    credential: AuthenticationResponseSchema,
    /** "Keep me signed in". Default true. */
    remember: z.optional(z.boolean()),
  }),
);

/** `POST /auth/passkeys/rename` request body. */
export const PasskeyRenameRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({ id: credentialId(), name: passkeyName() }),
);

/** `POST /auth/passkeys/remove` request body. */
export const PasskeyRemoveRequestSchema = /* @__PURE__ */ pure(() => z.object({ id: credentialId() }));

/** A passkey as the server lists it: no key material. */
export const PasskeySchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: z.string(),
    name: z.string(),
    device_type: z.string(),
    backed_up: z.boolean(),
    transports: z.array(z.string()),
    created_at: z.string(),
    last_used_at: z.nullable(z.string()),
  }),
);
/** A passkey as the wire carries it. */
export type WirePasskey = z.infer<typeof PasskeySchema>;

/** `GET /auth/passkeys` response body. */
export const PasskeyListSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ passkeys: z.array(PasskeySchema) }),
);

/** `POST /auth/passkeys/register` and `/rename` response body. */
export const PasskeyResponseSchema = /* @__PURE__ */ pure(() => z.looseObject({ passkey: PasskeySchema }));

/** A credential descriptor of the options (`allowCredentials`, `excludeCredentials`). */
const DescriptorSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: z.string(),
    type: z.literal("public-key"),
    transports: z.optional(z.array(z.string())),
  }),
);

/** `PublicKeyCredentialCreationOptionsJSON`: `POST /auth/passkeys/register/options` response body. */
export const CreationOptionsSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    rp: z.looseObject({ id: z.optional(z.string()), name: z.string() }),
    user: z.looseObject({ id: z.string(), name: z.string(), displayName: z.string() }),
    challenge: z.string(),
    pubKeyCredParams: z.array(z.looseObject({ type: z.literal("public-key"), alg: z.number() })),
    timeout: z.optional(z.number()),
    excludeCredentials: z.optional(z.array(DescriptorSchema)),
    authenticatorSelection: z.optional(
      z.looseObject({
        authenticatorAttachment: z.optional(z.string()),
        residentKey: z.optional(z.string()),
        requireResidentKey: z.optional(z.boolean()),
        userVerification: z.optional(z.string()),
      }),
    ),
    attestation: z.optional(z.string()),
    extensions: z.optional(z.looseObject({})),
  }),
);
/** Creation options as the wire carries them. */
export type WireCreationOptions = z.infer<typeof CreationOptionsSchema>;

/** `PublicKeyCredentialRequestOptionsJSON`: `POST /auth/passkeys/sign-in/options` response body. */
export const RequestOptionsSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    challenge: z.string(),
    timeout: z.optional(z.number()),
    rpId: z.optional(z.string()),
    allowCredentials: z.optional(z.array(DescriptorSchema)),
    userVerification: z.optional(z.string()),
    extensions: z.optional(z.looseObject({})),
  }),
);
/** Request options as the wire carries them. */
export type WireRequestOptions = z.infer<typeof RequestOptionsSchema>;
