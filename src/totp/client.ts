import type { AuthClient } from "../core/client";
import {
  MFA_FACTOR_REMOVE,
  MFA_FACTORS,
  MFA_RECOVERY_CODES,
  MFA_TOTP_ACTIVATE,
  MFA_TOTP_ENROLL,
} from "../core/endpoints";
import { callJson, callVoid, requireString } from "../core/request";
import { FactorListSchema, RecoveryCodesResponseSchema, TotpEnrollResponseSchema } from "../wire/totp";

/** A started TOTP enrollment: show `qrSvg` (or `uri` as a QR code, or `secret` to type in). */
export interface TotpEnrollment {
  factorId: string;
  /** Base32 secret, for manual entry. Do not store it on the client. */
  secret: string;
  /** The otpauth:// Key URI. */
  uri: string;
  /** An SVG QR code of `uri`, when the optional `qrcode` package is installed. */
  qrSvg?: string;
}

/** A second factor of the user. */
export interface Factor {
  id: string;
  type: "totp";
  /** `pending` until activated with a first code. */
  status: "pending" | "active";
  createdAt: Date;
  lastUsedAt?: Date;
}

type QrModule = { toString(text: string, options: object): Promise<string> };

async function qrSvg(text: string): Promise<string | undefined> {
  try {
    const mod = (await import("qrcode")) as unknown as QrModule & { default?: QrModule };
    const qr = typeof mod.default?.toString === "function" && mod.default !== undefined ? mod.default : mod;
    return await qr.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
  } catch {
    return undefined; // qrcode is an optional peer dependency
  }
}

/**
 * Starts a TOTP enrollment for the signed-in user. The factor stays `pending` until
 * {@link activateTotp} receives a first valid code.
 *
 * @example
 * ```ts
 * const { factorId, qrSvg, secret } = await enrollTotp(auth, { issuer: "ACME" });
 * ```
 */
export async function enrollTotp(
  auth: AuthClient,
  options: { issuer?: string; accountName?: string; signal?: AbortSignal } = {},
): Promise<TotpEnrollment> {
  const body: Record<string, string> = {};
  if (options.issuer !== undefined) body.issuer = options.issuer;
  if (options.accountName !== undefined) body.account_name = options.accountName;
  const res = await callJson(auth, MFA_TOTP_ENROLL, body, TotpEnrollResponseSchema, {
    authenticated: true,
    signal: options.signal,
  });
  const enrollment: TotpEnrollment = { factorId: res.factor_id, secret: res.secret, uri: res.uri };
  const svg = await qrSvg(res.uri);
  if (svg !== undefined) enrollment.qrSvg = svg;
  return enrollment;
}

/**
 * Activates an enrolled factor with the first code from the authenticator app. Returns the
 * recovery codes: show them once and ask the user to keep them.
 *
 * @throws InvalidMfaCodeError for a wrong code (counted towards the lockout).
 * @example
 * ```ts
 * const { recoveryCodes } = await activateTotp(auth, { factorId, code: "123456" });
 * ```
 */
export async function activateTotp(
  auth: AuthClient,
  params: { factorId: string; code: string; signal?: AbortSignal },
): Promise<{ recoveryCodes: string[] }> {
  requireString("factorId", params?.factorId);
  requireString("code", params.code);
  const res = await callJson(
    auth,
    MFA_TOTP_ACTIVATE,
    { factor_id: params.factorId, code: params.code.replace(/\s+/g, "") },
    RecoveryCodesResponseSchema,
    { authenticated: true, signal: params.signal },
  );
  return { recoveryCodes: res.recovery_codes };
}

/**
 * The signed-in user's second factors.
 *
 * @example
 * ```ts
 * const factors = await listFactors(auth);
 * const hasTotp = factors.some((f) => f.status === "active");
 * ```
 */
export async function listFactors(
  auth: AuthClient,
  options: { signal?: AbortSignal } = {},
): Promise<Factor[]> {
  const res = await callJson(auth, MFA_FACTORS, undefined, FactorListSchema, {
    authenticated: true,
    signal: options.signal,
  });
  return res.factors.map((f) => {
    const factor: Factor = { id: f.id, type: f.type, status: f.status, createdAt: new Date(f.created_at) };
    if (f.last_used_at) factor.lastUsedAt = new Date(f.last_used_at);
    return factor;
  });
}

/**
 * Removes a factor; needs a current TOTP code or a recovery code, so a stolen session alone cannot
 * turn two-step verification off.
 *
 * @throws InvalidMfaCodeError for a wrong code; HttpError 404 (`factor_not_found`).
 * @example
 * ```ts
 * await removeFactor(auth, { factorId, code: "123456" });
 * ```
 */
export async function removeFactor(
  auth: AuthClient,
  params: { factorId: string; code: string; signal?: AbortSignal },
): Promise<void> {
  requireString("factorId", params?.factorId);
  requireString("code", params.code);
  await callVoid(
    auth,
    MFA_FACTOR_REMOVE,
    { factor_id: params.factorId, code: params.code.trim() },
    { authenticated: true, signal: params.signal },
  );
}

/**
 * Replaces every recovery code with new ones (the old ones stop working); needs a current TOTP code.
 *
 * @example
 * ```ts
 * const { recoveryCodes } = await regenerateRecoveryCodes(auth, { code: "123456" });
 * ```
 */
export async function regenerateRecoveryCodes(
  auth: AuthClient,
  params: { code: string; signal?: AbortSignal },
): Promise<{ recoveryCodes: string[] }> {
  requireString("code", params?.code);
  const res = await callJson(
    auth,
    MFA_RECOVERY_CODES,
    { code: params.code.replace(/\s+/g, "") },
    RecoveryCodesResponseSchema,
    { authenticated: true, signal: params.signal },
  );
  return { recoveryCodes: res.recovery_codes };
}
