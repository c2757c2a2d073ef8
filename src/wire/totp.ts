/**
 * Wire schemas of MFA management (tegata/totp).
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

/** `POST /auth/mfa/totp/enroll` response body. */
export const TotpEnrollResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    factor_id: z.string().check(z.minLength(1)),
    secret: z.string().check(z.minLength(16)),
    uri: z.string().check(z.minLength(1)),
  }),
);

/** `POST /auth/mfa/totp/enroll` request body. */
export const TotpEnrollRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    issuer: z.optional(z.string()),
    account_name: z.optional(z.string()),
  }),
);

/** `POST /auth/mfa/totp/activate` and `POST /auth/mfa/factors/remove` request body. */
export const FactorCodeRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({
    factor_id: z.string().check(z.minLength(1)),
    code: z.string().check(z.minLength(1)),
  }),
);

/** `POST /auth/mfa/recovery-codes` request body. */
export const CodeRequestSchema = /* @__PURE__ */ pure(() =>
  z.object({ code: z.string().check(z.minLength(1)) }),
);

/** Responses that hand out recovery codes (once, in clear). */
export const RecoveryCodesResponseSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    recovery_codes: z.array(z.string().check(z.minLength(1))),
  }),
);

/** One second factor. */
export const FactorSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    type: z.literal("totp"),
    status: z.literal(["pending", "active"]),
    created_at: z.string(),
    last_used_at: z.optional(z.nullable(z.string())),
  }),
);

/** `GET /auth/mfa/factors` response body. */
export const FactorListSchema = /* @__PURE__ */ pure(() => z.looseObject({ factors: z.array(FactorSchema) }));
