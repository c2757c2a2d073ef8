/**
 * Reading requests: bodies parsed with the wire schemas (size-limited before parsing), the bearer
 * token, the client's IP. A malformed request ends here with a 4xx, before any domain code runs.
 *
 * @module
 */
import type { z } from "zod/mini";
import { problem, RequestRefusal } from "./responses";

/** Largest request body read, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

function refuse(title: string, status415 = false): RequestRefusal {
  const response = problem("invalid_request", title);
  if (!status415) return new RequestRefusal(response);
  return new RequestRefusal(new Response(response.body, { status: 415, headers: response.headers }));
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

/** Parses a form body (`application/x-www-form-urlencoded`), as the OAuth endpoints take. */
export async function readForm(request: Request): Promise<URLSearchParams> {
  if (mediaType(request) !== "application/x-www-form-urlencoded") {
    throw refuse("The body must be application/x-www-form-urlencoded", true);
  }
  return new URLSearchParams(await readText(request));
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
    if (/^[0-9a-fA-F:.]{2,45}$/.test(first)) return first;
  }
  return remote ?? "0.0.0.0";
}
