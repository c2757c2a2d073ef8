/**
 * Wire schemas of the account mails' endpoints (tegata/credentials): email verification, the
 * unlock link, the "this wasn't me" link of an email change, and the account settings (the
 * language of the user's mails).
 *
 * @module
 */
import * as z from "zod/mini";
import { SignUpRequestSchema } from "./index";
import { pure } from "./pure";

const nonEmpty = () => z.string().check(z.minLength(1));

/** The languages of the mails. */
export const MailLocaleSchema = /* @__PURE__ */ pure(() => z.literal(["ja", "en"]));
export type WireMailLocale = z.infer<typeof MailLocaleSchema>;

/**
 * `POST /auth/sign-up` request body as the server reads it: the contract's fields, plus the
 * language of the user's mails (default: the request's `Accept-Language`) and where the
 * verification link leads (a path or a URL on an allowed app origin).
 */
export const SignUpBodySchema = /* @__PURE__ */ pure(() =>
  z.object({
    ...SignUpRequestSchema.shape,
    locale: z.optional(MailLocaleSchema),
    redirect_to: z.optional(z.string()),
  }),
);

/** `POST /auth/email/verify`, `/auth/account/unlock` and `/auth/email/change-cancel` request body. */
export const MailTokenSchema = /* @__PURE__ */ pure(() => z.object({ token: nonEmpty() }));

/** `POST /auth/email/verify/resend` request body: where the new link leads (optional). */
export const VerificationResendSchema = /* @__PURE__ */ pure(() =>
  z.object({ redirect_to: z.optional(z.string()) }),
);

/**
 * `GET` / `PATCH /auth/settings` response body. `mail_locale` is `null` when the user never chose
 * (an account made by an operator or a provider): mails then follow the request's
 * `Accept-Language`, or English.
 */
export const AccountSettingsSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ mail_locale: z.nullable(MailLocaleSchema) }),
);
export type WireAccountSettings = z.infer<typeof AccountSettingsSchema>;

/** `PATCH /auth/settings` request body. */
export const AccountSettingsUpdateSchema = /* @__PURE__ */ pure(() =>
  z.object({ mail_locale: MailLocaleSchema }),
);
