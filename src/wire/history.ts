/**
 * Wire schemas of login history, active sessions and privacy settings (tegata/history).
 *
 * @module
 */
import * as z from "zod/mini";
import { pure } from "./pure";

/** Sign-in methods the history records. Open-ended: servers may add their own. */
export const LoginMethodSchema = /* @__PURE__ */ pure(() => z.string().check(z.minLength(1)));

/** Where a sign-in came from, when the server knows. */
export const LocationSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    country: z.optional(z.nullable(z.string())),
    region: z.optional(z.nullable(z.string())),
    city: z.optional(z.nullable(z.string())),
  }),
);

/** One entry of the login history. */
export const HistoryItemSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    at: z.string(),
    ip: z.string(),
    user_agent: z.nullable(z.string()),
    method: LoginMethodSchema,
    result: z.literal(["success", "failure", "locked"]),
    current: z.optional(z.boolean()),
    location: z.optional(z.nullable(LocationSchema)),
  }),
);
export type WireHistoryItem = z.infer<typeof HistoryItemSchema>;

/** `GET /auth/history` response body. */
export const HistoryPageSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    items: z.array(HistoryItemSchema),
    next_cursor: z.nullable(z.string()),
  }),
);

/** One active session. */
export const SessionItemSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    created_at: z.string(),
    last_seen_at: z.string(),
    ip: z.string(),
    user_agent: z.nullable(z.string()),
    current: z.boolean(),
  }),
);
export type WireSessionItem = z.infer<typeof SessionItemSchema>;

/** `GET /auth/sessions` response body. */
export const SessionListSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({ sessions: z.array(SessionItemSchema) }),
);

/** `POST /auth/sessions/revoke` request body. */
export const SessionRevokeSchema = /* @__PURE__ */ pure(() =>
  z.object({ session_id: z.string().check(z.minLength(1)) }),
);

/** `GET` / `PATCH /auth/privacy` response body. */
export const PrivacySchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    show_last_login: z.boolean(),
    last_login_at: z.optional(z.nullable(z.string())),
  }),
);

/** `GET /auth/last-login?user_id=…` response: another user's last sign-in as others see it. */
export const LastLoginSchema = /* @__PURE__ */ pure(() =>
  z.looseObject({
    user_id: z.string(),
    last_login_at: z.nullable(z.string()),
  }),
);

/** `PATCH /auth/privacy` request body. */
export const PrivacyUpdateSchema = /* @__PURE__ */ pure(() => z.object({ show_last_login: z.boolean() }));
