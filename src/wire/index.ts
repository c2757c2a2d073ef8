/**
 * The HTTP contract of tegata, typed once with `zod/mini`.
 *
 * The client parses every response with these schemas; the mock server parses every request with
 * them. `docs/api.md` documents the same shapes for server implementers. Field names on the wire
 * are snake_case (as in OAuth 2.0); the SDK's public types are camelCase.
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

const nonEmpty = () => z.string().check(z.minLength(1));
const count = () => z.number().check(z.gte(0), z.multipleOf(1));

/** A user as the server describes it. */
export const UserSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: nonEmpty(),
    email: z.string(),
    name: z.optional(z.nullable(z.string())),
    email_verified: z.optional(z.boolean()),
    mfa_enabled: z.optional(z.boolean()),
    created_at: z.optional(z.string()),
  }),
);
export type WireUser = z.infer<typeof UserSchema>;

/** RFC 6749 section 5.1 successful token response. */
export const TokenResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    access_token: nonEmpty(),
    token_type: nonEmpty(),
    expires_in: z.optional(z.number().check(z.gte(0))),
    refresh_token: z.optional(nonEmpty()),
    id_token: z.optional(nonEmpty()),
    scope: z.optional(z.string()),
  }),
);
export type WireTokenResponse = z.infer<typeof TokenResponseSchema>;

/** A session response: an OAuth token response plus the signed-in user. */
export const SignedInSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    ...TokenResponseSchema.shape,
    status: z.literal("signed_in"),
    user: UserSchema,
  }),
);
export type WireSignedIn = z.infer<typeof SignedInSchema>;

/** A second factor this challenge accepts. */
export const MfaMethodSchema = /* @__PURE__ */ pure(() => z.literal(["totp", "recovery_code", "email_code"]));

/** The sign-in needs a second factor. */
export const MfaRequiredSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    status: z.literal("mfa_required"),
    challenge: z.looseObject({
      id: nonEmpty(),
      methods: z.array(MfaMethodSchema),
      expires_in: z.number().check(z.gte(0)),
    }),
  }),
);
export type WireMfaRequired = z.infer<typeof MfaRequiredSchema>;

/**
 * `POST /auth/sign-in` response body: one of the two, told apart by `status` (a plain union: the
 * literals already make the members exclusive, and `discriminatedUnion` costs 0.8 kB gz more).
 */
export const SignInResponseSchema = /* @__PURE__ */ pure(() => z.union([SignedInSchema, MfaRequiredSchema]));
export type WireSignInResponse = z.infer<typeof SignInResponseSchema>;

/**
 * The `status` of a sign-in answer alone: the client reads it first and then validates the body
 * with {@link SignedInSchema} or {@link MfaRequiredSchema} (a union's code costs 0.35 kB gz more).
 */
export const SignInStatusSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ status: z.literal(["signed_in", "mfa_required"]) }),
);

/** `POST /auth/sign-in` request body. */
export const SignInRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    email: nonEmpty(),
    password: nonEmpty(),
    remember: z.optional(z.boolean()),
  }),
);

/** `POST /auth/mfa/verify` request body: exactly one of `code` and `recovery_code`. */
export const MfaVerifyRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    challenge_id: nonEmpty(),
    code: z.optional(nonEmpty()),
    recovery_code: z.optional(nonEmpty()),
    email_code: z.optional(nonEmpty()),
  }),
);

/** `POST /auth/mfa/email-code` request body: mail a code for this challenge. */
export const MfaEmailCodeRequestSchema = /* @__PURE__ */ pure(() => z.object({ challenge_id: nonEmpty() }));

/** `POST /auth/mfa/email-code` response body: how long the mailed code works, in seconds. */
export const MfaEmailCodeSentSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ expires_in: z.number().check(z.gte(0)) }),
);

/** `POST /auth/sign-up` request body. */
export const SignUpRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    email: nonEmpty(),
    password: nonEmpty(),
    name: z.optional(z.string()),
  }),
);

/** `POST /auth/password/reset-request` request body. */
export const PasswordResetRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    email: nonEmpty(),
    redirect_to: z.optional(z.string()),
  }),
);

/** `POST /auth/password/reset` request body. */
export const PasswordResetSchema = /* @__PURE__ */ pure(() =>
  z.object({ token: nonEmpty(), password: nonEmpty() }),
);

/** `POST /auth/password/change` request body. */
export const PasswordChangeSchema = /* @__PURE__ */ pure(() =>
  z.object({
    current_password: nonEmpty(),
    new_password: nonEmpty(),
  }),
);

/**
 * `POST /auth/account/delete` request body: the password or a second-factor code (TOTP or
 * recovery code), one of them; neither only for an account with neither, signed in recently.
 */
export const AccountDeleteSchema = /* @__PURE__ */ pure(() =>
  z.object({
    password: z.optional(nonEmpty()),
    code: z.optional(nonEmpty()),
  }),
);

/** `POST /auth/email/change-request` request body. */
export const EmailChangeRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    new_email: nonEmpty(),
    password: nonEmpty(),
    redirect_to: z.optional(z.string()),
  }),
);

/** `POST /auth/email/confirm` request body. */
export const EmailChangeConfirmSchema = /* @__PURE__ */ pure(() => z.object({ token: nonEmpty() }));

/** `POST /auth/email/confirm` response body. */
export const UserResponseSchema = /* @__PURE__ */ pure(() => z.looseObject({ user: UserSchema }));

/** Sign-out scopes. */
export const SignOutScopeSchema = /* @__PURE__ */ pure(() => z.literal(["local", "global", "others"]));

/** `POST /auth/sign-out` request body. */
export const SignOutRequestSchema = /* @__PURE__ */ pure(() => z.object({ scope: SignOutScopeSchema }));

/** `202 Accepted` bodies: nothing the client relies on. */
export const AcceptedSchema = /* @__PURE__ */ pure(() => z.looseObject({}));

/** One issue of a password policy, as the server reports it. */
export const PasswordIssueSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    code: z.string(),
    message: z.string(),
    params: z.optional(z.looseObject({})),
  }),
);

/**
 * RFC 9457 problem details with tegata's extension members. Every non-token endpoint answers
 * errors with `Content-Type: application/problem+json` and this body. Only the members the client
 * reads are here (`type`, `title`, `status`, `detail` pass through, see docs/api.md); `issues` is
 * validated item by item ({@link PasswordIssueSchema}) by the error that carries them, so that
 * only bundles with password endpoints carry that schema.
 */
export const ProblemSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    code: nonEmpty(),
    remaining_attempts: z.optional(count()),
    retry_after: z.optional(count()),
    issues: z.optional(z.array(z.unknown())),
  }),
);
export type WireProblem = z.infer<typeof ProblemSchema>;

/** RFC 6749 section 5.2 error response of the token endpoint. */
export const OAuthErrorSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    error: nonEmpty(),
    error_description: z.optional(z.string()),
    error_uri: z.optional(z.string()),
  }),
);
export type WireOAuthError = z.infer<typeof OAuthErrorSchema>;
export type { ProblemCode } from "./problems";
