/**
 * Reading requests: bodies parsed with the wire schemas (size-limited before parsing), the bearer
 * token, the client's IP. A malformed request ends here with a 4xx, before any domain code runs.
 *
 * @module
 */
import type { z } from "zod/mini";
import { DomainError } from "../domain/errors";
import { problem, RequestRefusal } from "./responses";

/** Largest request body read, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

function refuse(title: string, status415 = false): RequestRefusal {
  return new RequestRefusal(problem("invalid_request", title, {}, {}, status415 ? 415 : 400));
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The body as text, refused when it is (or declares to be) larger than `limit` bytes. */
async function readText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > limit) throw refuse(`The body is larger than ${limit} bytes`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw refuse(`The body is larger than ${limit} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Describes what a schema refused by field path, never by value. */
function describeIssues(error: z.core.$ZodError): string {
  const fields = [...new Set(error.issues.map((i) => i.path.map(String).join(".") || "(body)"))];
  return `The body is missing fields or has fields of the wrong type: ${fields.slice(0, 5).join(", ")}`;
}

/** Parses a JSON body with a wire schema: 415 for another content type, 400 for anything malformed. */
export async function readJson<S extends z.ZodMiniType>(request: Request, schema: S): Promise<z.infer<S>> {
  const type = mediaType(request);
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw refuse("The body must be application/json", true);
  }
  const text = await readText(request);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw refuse("The body is not valid JSON");
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw refuse(describeIssues(parsed.error));
  return parsed.data as z.infer<S>;
}

/**
 * Parses a form body (`application/x-www-form-urlencoded`), as the OAuth endpoints take; refusals
 * are RFC 6749 `invalid_request` errors (400), as those endpoints speak.
 */
export async function readForm(request: Request): Promise<URLSearchParams> {
  if (mediaType(request) !== "application/x-www-form-urlencoded") {
    throw new DomainError("oauth:invalid_request", "The body must be application/x-www-form-urlencoded");
  }
  try {
    return new URLSearchParams(await readText(request));
  } catch (error) {
    if (error instanceof RequestRefusal) {
      throw new DomainError("oauth:invalid_request", `The body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    throw error;
  }
}

/** True for a literal IPv4 (dotted quad, 0–255) or IPv6 address. */
function isIpAddress(value: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part);
  if (!value.includes(":") || !/^[0-9a-fA-F:.]+$/.test(value)) return false;
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** The bearer token of the `Authorization` header, or `null`. */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1] ?? null;
}

/**
 * The client's IP: the first address of `X-Forwarded-For` when the server trusts a proxy, else
 * the one the runtime gave (`remote`), else `"0.0.0.0"`.
 */
export function clientIp(request: Request, trustProxy: boolean, remote: string | undefined): string {
  if (trustProxy) {
    const first = (request.headers.get("x-forwarded-for") ?? "").split(",")[0]?.trim() ?? "";
    if (first.length <= 45 && isIpAddress(first)) return first;
  }
  return remote ?? "0.0.0.0";
}
