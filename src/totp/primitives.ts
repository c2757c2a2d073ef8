import { generate, generateSecret, generateURI, verify } from "otplib";

/** Hash algorithm of a TOTP (RFC 6238 allows SHA-1, SHA-256 and SHA-512; apps mostly read SHA-1). */
export type TotpAlgorithm = "SHA1" | "SHA256" | "SHA512";

/** Parameters shared by TOTP functions. Defaults are what authenticator apps assume: SHA1, 6 digits, 30 s. */
export interface TotpParams {
  algorithm?: TotpAlgorithm;
  digits?: 6 | 7 | 8;
  /** Step length in seconds. */
  period?: number;
}

/** A TOTP secret: base32 text (as in otpauth:// URIs) or raw bytes. */
export type TotpSecret = string | Uint8Array;

const otpAlgorithm = (a: TotpAlgorithm | undefined) =>
  (a ?? "SHA1").toLowerCase() as "sha1" | "sha256" | "sha512";

const toMs = (time: Date | number | undefined): number =>
  time === undefined ? Date.now() : typeof time === "number" ? time : time.getTime();

function checkParams(params: TotpParams): { digits: 6 | 7 | 8; period: number } {
  const digits = params.digits ?? 6;
  const period = params.period ?? 30;
  if (digits !== 6 && digits !== 7 && digits !== 8) throw new TypeError("tegata: digits must be 6, 7 or 8");
  if (!Number.isInteger(period) || period < 1 || period > 3600) {
    throw new TypeError("tegata: period must be an integer number of seconds from 1 to 3600");
  }
  return { digits, period };
}

/** Refuses anything but a base32 string or bytes, naming the function and what it got. */
function checkSecret(fn: string, secret: unknown): asserts secret is TotpSecret {
  if (typeof secret === "string" || secret instanceof Uint8Array) return;
  const got = secret === null ? "null" : Array.isArray(secret) ? "an array" : typeof secret;
  throw new TypeError(`tegata: ${fn} needs the secret as a base32 string or a Uint8Array, got ${got}`);
}

/** otplib's failure, said in words: what is wrong with the secret and what is expected. */
function secretError(error: unknown): never {
  const name = (error as Error)?.name ?? "";
  const message = String((error as Error)?.message ?? "");
  const why =
    name === "SecretMissingError"
      ? "it is empty"
      : name === "SecretTooShortError"
        ? "it is shorter than 16 bytes (26 base32 characters); generateTotpSecret() makes one of 20"
        : name === "SecretTooLongError"
          ? "it is longer than 64 bytes"
          : /base32/i.test(message)
            ? "it is not base32 (the letters A-Z and the digits 2-7)"
            : `otplib refused it (${name || "error"})`;
  throw new TypeError(`tegata: the TOTP secret is invalid: ${why}`, { cause: error });
}

/**
 * A new random TOTP secret, base32-encoded without padding (20 bytes = 160 bits by default, the
 * size RFC 4226 recommends; otplib refuses less than 16).
 *
 * @example
 * ```ts
 * const secret = generateTotpSecret(); // "JBSWY3DPEHPK3PXP…" (32 characters)
 * ```
 */
export function generateTotpSecret(options: { bytes?: number } = {}): string {
  const bytes = options.bytes ?? 20;
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 64)
    throw new TypeError("tegata: bytes must be 16 to 64");
  return generateSecret({ length: bytes });
}

/** Options of {@link totpUri}. */
export interface TotpUriOptions extends TotpParams {
  /** Base32 secret. */
  secret: string;
  /** The service name shown in the app, such as `スキルマーケット` or `ACME Inc.`. */
  issuer: string;
  /** The account, usually the email address. */
  accountName: string;
}

/**
 * The `otpauth://totp/…` Key URI that Google Authenticator, Microsoft Authenticator and 1Password
 * read (and that a QR code carries): the issuer both as the label prefix and as the `issuer`
 * parameter, percent-encoded (Japanese issuer names included). Non-default algorithm, digits and
 * period are added as parameters.
 *
 * @throws TypeError when the issuer or account name is empty or contains `:`.
 * @example
 * ```ts
 * totpUri({ secret, issuer: "ACME", accountName: "hanako@example.com" });
 * // "otpauth://totp/ACME:hanako%40example.com?secret=…&issuer=ACME"
 * ```
 */
export function totpUri(options: TotpUriOptions): string {
  const { secret, issuer, accountName } = options ?? ({} as TotpUriOptions);
  for (const [name, value] of [
    ["issuer", issuer],
    ["accountName", accountName],
    ["secret", secret],
  ] as const) {
    if (typeof value !== "string" || value.trim() === "")
      throw new TypeError(`tegata: ${name} must be a non-empty string`);
  }
  if (issuer.includes(":") || accountName.includes(":")) {
    throw new TypeError("tegata: issuer and accountName must not contain ':' (the Key URI separator)");
  }
  const { digits, period } = checkParams(options);
  return generateURI({
    issuer,
    label: accountName,
    secret: secret.replace(/=+$/, "").toUpperCase(),
    ...(options.algorithm && options.algorithm !== "SHA1"
      ? { algorithm: otpAlgorithm(options.algorithm) }
      : {}),
    ...(digits !== 6 ? { digits } : {}),
    ...(period !== 30 ? { period } : {}),
  });
}

/**
 * The TOTP code of a secret at a time (default now).
 *
 * @param options.time - a Date or milliseconds since the epoch
 * @throws TypeError for a malformed secret or invalid parameters.
 * @example
 * ```ts
 * const code = await generateTotp(secret); // "492039"
 * ```
 */
export async function generateTotp(
  secret: TotpSecret,
  options: TotpParams & { time?: Date | number } = {},
): Promise<string> {
  checkSecret("generateTotp(secret, options)", secret);
  const { digits, period } = checkParams(options);
  try {
    return await generate({
      secret,
      algorithm: otpAlgorithm(options.algorithm),
      digits,
      period,
      epoch: Math.floor(toMs(options.time) / 1000),
    });
  } catch (error) {
    return secretError(error);
  }
}

/** Options of {@link verifyTotp}. */
export interface VerifyTotpOptions extends TotpParams {
  /** The code the user typed; spaces are ignored. */
  code: string;
  secret: TotpSecret;
  /** Steps accepted before and after the current one, for clock drift. Default 1 (±30 s). */
  window?: number;
  /** The step of the last accepted code: only newer steps are accepted (RFC 6238 section 5.2). */
  lastUsedStep?: number | null;
  /** A Date or milliseconds since the epoch. Default now. */
  time?: Date | number;
}

/**
 * The result of {@link verifyTotp}: when `valid` is true, `step` is the time step the code
 * belongs to (store it as the next `lastUsedStep`); otherwise it is `null`.
 */
export type VerifyTotpResult = { valid: true; step: number } | { valid: false; step: null };

/**
 * Checks a TOTP code with a drift window and replay protection. A code whose step is not newer
 * than `lastUsedStep` is refused, so one code never works twice. Malformed codes (letters, wrong
 * length) are simply invalid; the comparison is constant-time (otplib).
 *
 * @throws TypeError only for a malformed secret or invalid options.
 * @example
 * ```ts
 * const { valid, step } = await verifyTotp({ code, secret, lastUsedStep: user.lastStep });
 * if (valid) user.lastStep = step;
 * ```
 */
export async function verifyTotp(options: VerifyTotpOptions): Promise<VerifyTotpResult> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("tegata: verifyTotp({ code, secret, … }) takes one options object");
  }
  checkSecret("verifyTotp({ secret })", options.secret);
  const { digits, period } = checkParams(options);
  const window = options.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > 10)
    throw new TypeError("tegata: window must be 0 to 10");
  const raw = options.code;
  if (typeof raw !== "string") return { valid: false, step: null };
  const code = /\s/.test(raw) ? raw.replace(/\s+/g, "") : raw;
  if (code.length !== digits || !/^\d+$/.test(code)) return { valid: false, step: null };
  const epoch = Math.floor(toMs(options.time) / 1000);
  const last = options.lastUsedStep;
  const verifyOptions: Parameters<typeof verify>[0] = {
    secret: options.secret,
    token: code,
    algorithm: otpAlgorithm(options.algorithm),
    digits,
    period,
    epoch,
    epochTolerance: window * period,
  };
  if (last !== undefined && last !== null) {
    if (!Number.isInteger(last) || last < 0)
      throw new TypeError("tegata: lastUsedStep must be a non-negative integer");
    // Nothing newer than `last` can be in the window.
    if (last >= Math.floor(epoch / period) + window) return { valid: false, step: null };
    verifyOptions.afterTimeStep = last;
  }
  let result: Awaited<ReturnType<typeof verify>>;
  try {
    result = await verify(verifyOptions);
  } catch (error) {
    const name = (error as Error)?.name ?? "";
    if (/Token|AfterTimeStep/.test(name)) return { valid: false, step: null };
    return secretError(error);
  }
  if (!result.valid || !("timeStep" in result)) return { valid: false, step: null };
  return { valid: true, step: result.timeStep };
}
