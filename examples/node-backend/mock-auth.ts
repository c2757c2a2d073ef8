// tegata's mock auth server (tegata/mock) served over real HTTP, so the example API can run with
// one command and curl can sign in: msw's getResponse answers each request with the mock's
// handlers, no interception involved.
import { getResponse } from "msw";
import { createMockAuth, type MockAuth, type MockUserInit } from "tegata/mock";

/** The user `npm run example:node` creates. */
export const demoUser = { email: "dev@example.com", password: "correct horse battery", name: "Dev" };

/** A mock auth server whose tokens name `baseUrl` as their issuer. */
export function createMockAuthServer(options: { baseUrl: string; users?: MockUserInit[] }) {
  const mock: MockAuth = createMockAuth({ baseUrl: options.baseUrl, users: options.users ?? [demoUser] });
  const origin = new URL(mock.baseUrl).origin;
  /** A fetch-style handler: a Request in, the mock's Response out (404 for anything else). */
  const handle = async (request: Request): Promise<Response> => {
    // Whatever host name the caller used (localhost, 127.0.0.1), the mock answers for its baseUrl.
    const url = new URL(request.url);
    const rewritten =
      url.origin === origin ? request : new Request(`${origin}${url.pathname}${url.search}`, request);
    return (
      (await getResponse(mock.handlers, rewritten)) ??
      Response.json(
        { code: "not_found", message: `${url.pathname} is not part of the mock` },
        { status: 404 },
      )
    );
  };
  return { mock, handle };
}
