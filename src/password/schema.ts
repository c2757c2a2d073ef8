import * as z from "zod/mini";
import type { PasswordLocale } from "./messages";
import { type PasswordContext, type PasswordPolicy, validatePassword } from "./policy";

/** Options of {@link passwordSchema}. */
export interface PasswordSchemaOptions {
  locale?: PasswordLocale;
  /** Context words for every parse (per-call context needs a schema per call). */
  context?: PasswordContext;
}

/**
 * A zod (`zod/mini`) string schema that applies a password policy. Each policy issue becomes a
 * zod issue with `code: "custom"`, the policy's message, and `params: { code, ...params }`, so
 * forms and servers can show or map them.
 *
 * @example
 * ```ts
 * const SignUp = z.object({ email: z.email(), password: passwordSchema(presets.nist, { locale: "ja" }) });
 * const result = SignUp.safeParse(form);
 * ```
 */
export function passwordSchema(policy: PasswordPolicy, options: PasswordSchemaOptions = {}) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const context: PasswordContext = { ...options.context };
      if (options.locale) context.locale = options.locale;
      for (const issue of validatePassword(policy, value, context).issues) {
        ctx.addIssue({
          code: "custom",
          message: issue.message,
          params: { code: issue.code, ...issue.params },
          input: value,
        });
      }
    }),
  );
}
