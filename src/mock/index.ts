/**
 * `tegata/mock`: an in-memory auth server implementing tegata's whole HTTP contract as msw
 * handlers, so any project can mock sign-in in its tests (or in the browser) in two lines.
 *
 * @example
 * ```ts
 * import { setupServer } from "msw/node";
 * import { createMockAuth } from "tegata/mock";
 * const mock = createMockAuth({ users: [{ email: "a@example.com", password: "correct horse" }] });
 * setupServer(...mock.handlers).listen({ onUnhandledFrame: "error" });
 * ```
 * @module
 */

export type {
  SoftwareAuthenticationResponse,
  SoftwareAuthenticator,
  SoftwareAuthenticatorOptions,
  SoftwareCeremonyOptions,
  SoftwareCreationOptions,
  SoftwarePasskey,
  SoftwareRegistrationResponse,
  SoftwareRequestOptions,
} from "./authenticator";
export { createSoftwareAuthenticator } from "./authenticator";
export type {
  MockIdTokenClaims,
  MockOidcClient,
  MockOidcProvider,
  MockOidcProviderOptions,
  MockOidcRequestRecord,
  MockOidcUser,
  MockTokenResponse,
} from "./oidc-provider";
export { createMockOidcProvider } from "./oidc-provider";
export { createMockAuth } from "./server";
export type {
  MockAuth,
  MockAuthOptions,
  MockClock,
  MockCodeEmail,
  MockEmail,
  MockFault,
  MockLinkEmail,
  MockLoginAttempt,
  MockNoticeEmail,
  MockPasswordPolicy,
  MockRequestRecord,
  MockSessionInfo,
  MockUserInfo,
  MockUserInit,
} from "./types";
