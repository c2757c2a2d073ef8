/** Shared setup of the tegata/oauth tests: a mock OpenID Provider on msw and a client on its clock. */
import { type AuthClientOptions, createAuthClient, memoryStorage } from "../../src/index";
import { createMockOidcProvider } from "../../src/mock/index";
import { oidcProvider } from "../../src/oauth/index";
import type { useMockServer } from "../support";

export const ISSUER = "https://id.tegata.test";
export const APP_ORIGIN = "https://app.example.com";
export const REDIRECT = `${APP_ORIGIN}/callback`;
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

type MockServer = ReturnType<typeof useMockServer>;

/** A function that installs a fresh mock provider on `ctx`'s server and returns a client for it. */
export function oidcSetup(ctx: MockServer) {
  return function setup(
    providerOptions: Partial<Parameters<typeof createMockOidcProvider>[0]> = {},
    clientOptions: Partial<AuthClientOptions> = {},
  ) {
    const op = createMockOidcProvider({
      issuer: ISSUER,
      now: T0,
      users: [{ email: "taro@example.jp", name: "山田太郎" }, { email: "hanako@example.jp" }],
      ...providerOptions,
    });
    ctx.server.resetHandlers(...op.handlers);
    const storage = memoryStorage();
    const auth = createAuthClient({
      baseUrl: "https://api.example.com",
      clock: op.clock,
      storage,
      ...clientOptions,
    });
    const provider = oidcProvider({ id: "corp", issuer: ISSUER, clientId: "web-app", redirectUri: REDIRECT });
    return { op, auth, provider, storage };
  };
}

/** Follows the authorization URL as a browser would (auto-consent) and returns the callback URL. */
export async function authorize(url: URL): Promise<string> {
  const res = await fetch(url, { redirect: "manual" });
  const location = res.headers.get("location");
  if (!location) throw new Error(`no redirect: ${res.status}`);
  return location;
}

/** The storage key of the pending sign-in of `state` (default storage key). */
export const transactionKey = (state: string) => `tegata.session.oauth.${state}`;
