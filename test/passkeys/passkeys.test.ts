/**
 * tegata/passkeys through the mock (which is the auth server, so its passkey routes answer), with
 * tegata/mock's software authenticator standing in for `navigator.credentials`: the browser's
 * `create()`/`get()` are stubbed for each test (and restored after), turning the options
 * `@simplewebauthn/browser` passes into the JSON the authenticator reads, and its JSON answer into
 * the credential object a browser gives. Runs in both test projects (msw, and real HTTP).
 */
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signIn, signOut } from "../../src/credentials/index";
import {
  type AuthClient,
  getSession,
  InvalidPasskeyError,
  isTegataError,
  NotSignedInError,
  onAuthStateChange,
  PasskeyCancelledError,
  PasskeyExistsError,
  PasskeysUnsupportedError,
} from "../../src/index";
import { createSoftwareAuthenticator, type MockAuth, type SoftwareAuthenticator } from "../../src/mock/index";
import {
  listPasskeys,
  passkeyAutofillSupported,
  passkeysSupported,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInWithPasskey,
} from "../../src/passkeys/index";
import { alice, useMockServer } from "../support";

const ctx = useMockServer();

afterEach(() => {
  vi.unstubAllGlobals();
});

const b64url = (buffer: ArrayBuffer | ArrayBufferView): string => {
  const bytes =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const bytes = (text: string): ArrayBuffer => {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
};

type Descriptor = { id: ArrayBuffer; type: string };

interface Browser {
  /** What the stubbed browser does next: `"cancel"` throws NotAllowedError as a dismissed dialog does. */
  next: "ok" | "cancel";
  /** The `mediation` of the last `get()`. */
  mediation: string | undefined;
  calls: number;
}

/**
 * Stubs `PublicKeyCredential` and `navigator.credentials` with the software authenticator (the
 * page at `origin`); `vi.unstubAllGlobals()` restores them.
 */
function stubBrowser(authenticator: SoftwareAuthenticator, options: { autofill?: boolean } = {}): Browser {
  const browser: Browser = { next: "ok", mediation: undefined, calls: 0 };
  const refuse = () => {
    throw new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
  };
  // A function, as browsers' PublicKeyCredential is (the library checks `typeof`).
  const FakePublicKeyCredential = Object.assign(function PublicKeyCredential() {}, {
    isConditionalMediationAvailable: async () => options.autofill ?? false,
  });
  const credentials = {
    async create(request: {
      publicKey: {
        rp: { id?: string; name: string };
        user: { id: ArrayBuffer; name: string; displayName: string };
        challenge: ArrayBuffer;
        pubKeyCredParams: { type: string; alg: number }[];
        excludeCredentials?: Descriptor[];
      };
    }) {
      browser.calls++;
      if (browser.next === "cancel") refuse();
      const { publicKey } = request;
      let json: Awaited<ReturnType<SoftwareAuthenticator["create"]>>;
      try {
        json = await authenticator.create({
          rp: publicKey.rp,
          user: { ...publicKey.user, id: b64url(publicKey.user.id) },
          challenge: b64url(publicKey.challenge),
          pubKeyCredParams: publicKey.pubKeyCredParams,
          excludeCredentials: (publicKey.excludeCredentials ?? []).map((c) => ({
            id: b64url(c.id),
            type: c.type,
          })),
        });
      } catch (error) {
        // The software authenticator's TypeError for an excluded credential: a browser's InvalidStateError.
        throw new DOMException(String((error as Error).message), "InvalidStateError");
      }
      return {
        id: json.id,
        rawId: bytes(json.rawId),
        type: json.type,
        authenticatorAttachment: json.authenticatorAttachment,
        response: {
          clientDataJSON: bytes(json.response.clientDataJSON),
          attestationObject: bytes(json.response.attestationObject),
          getTransports: () => json.response.transports,
        },
        getClientExtensionResults: () => ({}),
      };
    },
    async get(request: {
      mediation?: string;
      publicKey: { challenge: ArrayBuffer; rpId?: string; allowCredentials?: Descriptor[] };
    }) {
      browser.calls++;
      browser.mediation = request.mediation;
      if (browser.next === "cancel") refuse();
      const { publicKey } = request;
      const json = await authenticator.get({
        challenge: b64url(publicKey.challenge),
        ...(publicKey.rpId === undefined ? {} : { rpId: publicKey.rpId }),
        allowCredentials: (publicKey.allowCredentials ?? []).map((c) => ({ id: b64url(c.id), type: c.type })),
      });
      return {
        id: json.id,
        rawId: bytes(json.rawId),
        type: json.type,
        authenticatorAttachment: json.authenticatorAttachment,
        response: {
          clientDataJSON: bytes(json.response.clientDataJSON),
          authenticatorData: bytes(json.response.authenticatorData),
          signature: bytes(json.response.signature),
          userHandle: bytes(json.response.userHandle),
        },
        getClientExtensionResults: () => ({}),
      };
    },
  };
  vi.stubGlobal("PublicKeyCredential", FakePublicKeyCredential);
  vi.stubGlobal("navigator", { ...globalThis.navigator, credentials });
  return browser;
}

/** The page's origin: the auth server's own (the mock's default RP ID is its host). */
const origin = (auth: AuthClient): string => new URL(auth.options.baseUrl).origin;

/** A fresh mock, alice signed in with her password, and a software authenticator on the mock's origin. */
async function setup(): Promise<{ mock: MockAuth; auth: AuthClient; authenticator: SoftwareAuthenticator }> {
  const { mock, auth } = await ctx.fresh();
  await signIn(auth, { email: alice.email, password: alice.password });
  const authenticator = createSoftwareAuthenticator({ origin: new URL(mock.baseUrl).origin });
  return { mock, auth, authenticator };
}

describe("registerPasskey", () => {
  it("registers a passkey of the signed-in user, named, and lists, renames and removes it", async () => {
    const { mock, auth, authenticator } = await setup();
    const browser = stubBrowser(authenticator);
    const passkey = await registerPasskey(auth, { name: " MacBook " });
    expect(browser.calls).toBe(1);
    expect(passkey).toMatchObject({
      id: authenticator.passkeys[0]?.id,
      name: "MacBook",
      deviceType: "multiDevice",
      backedUp: true,
      lastUsedAt: null,
    });
    expect(passkey.createdAt).toBeInstanceOf(Date);
    expect(passkey.transports).toContain("internal");

    // A second device (the first one holds a passkey of the account: it is excluded).
    const phone = createSoftwareAuthenticator({ origin: origin(auth) });
    stubBrowser(phone);
    mock.clock.advance(1000); // the list is oldest first: the mock's clock stands still otherwise
    const second = await registerPasskey(auth);
    expect(second.name).toBe("Passkey");
    expect((await listPasskeys(auth)).map((p) => p.id)).toEqual([passkey.id, second.id]);

    const renamed = await renamePasskey(auth, { id: second.id, name: "仕事用 iPhone" });
    expect(renamed.name).toBe("仕事用 iPhone");
    await removePasskey(auth, { id: passkey.id });
    expect((await listPasskeys(auth)).map((p) => [p.id, p.name])).toEqual([[second.id, "仕事用 iPhone"]]);
  });

  it("needs a signed-in user, and asks nothing of the browser without one", async () => {
    const { mock, auth } = await ctx.fresh();
    const browser = stubBrowser(createSoftwareAuthenticator({ origin: new URL(mock.baseUrl).origin }));
    await expect(registerPasskey(auth)).rejects.toBeInstanceOf(NotSignedInError);
    expect(browser.calls).toBe(0);
  });

  it("a second passkey on the same authenticator is PasskeyExistsError (the browser's InvalidStateError)", async () => {
    const { auth, authenticator } = await setup();
    stubBrowser(authenticator);
    await registerPasskey(auth);
    await expect(registerPasskey(auth)).rejects.toBeInstanceOf(PasskeyExistsError);
    expect(await listPasskeys(auth)).toHaveLength(1);
  });
});

describe("signInWithPasskey", () => {
  it("signs in with the passkey: session stored, SIGNED_IN, amr hwk + mfa, last use recorded", async () => {
    const { mock, auth, authenticator } = await setup();
    stubBrowser(authenticator);
    const passkey = await registerPasskey(auth);
    await signOut(auth);
    expect(await getSession(auth)).toBeNull();

    const events: string[] = [];
    onAuthStateChange(auth, (event) => events.push(event));
    const result = await signInWithPasskey(auth);
    expect(result.status).toBe("signed_in");
    expect(result.session.user?.email).toBe(alice.email);
    expect(events).toEqual(["SIGNED_IN"]);
    expect((await getSession(auth))?.accessToken).toBe(result.session.accessToken);
    expect(decodeJwt(result.session.accessToken).amr).toEqual(["hwk", "mfa"]);
    const [listed] = await listPasskeys(auth);
    expect(listed?.id).toBe(passkey.id);
    expect(listed?.lastUsedAt?.getTime()).toBe(mock.clock.now());
  });

  it('mediation "conditional" asks the browser for autofill where it is available, else PasskeysUnsupportedError', async () => {
    const { auth, authenticator } = await setup();
    stubBrowser(authenticator);
    await registerPasskey(auth);
    await signOut(auth);

    // No autofill: refused before any request or browser call.
    const without = stubBrowser(authenticator, { autofill: false });
    expect(await passkeyAutofillSupported()).toBe(false);
    await expect(signInWithPasskey(auth, { mediation: "conditional" })).rejects.toBeInstanceOf(
      PasskeysUnsupportedError,
    );
    expect(without.calls).toBe(0);

    const browser = stubBrowser(authenticator, { autofill: true });
    // The library checks that the page has a field for the autofill.
    vi.stubGlobal("document", { querySelectorAll: () => [{}] });
    const { session } = await signInWithPasskey(auth, { mediation: "conditional" });
    expect(browser.mediation).toBe("conditional");
    expect(session.user?.email).toBe(alice.email);
  });

  it("cancelling the dialog is PasskeyCancelledError and stores nothing", async () => {
    const { auth, authenticator } = await setup();
    const browser = stubBrowser(authenticator);
    await registerPasskey(auth);
    await signOut(auth);
    const events: string[] = [];
    onAuthStateChange(auth, (event) => events.push(event));

    browser.next = "cancel";
    const error = await signInWithPasskey(auth).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasskeyCancelledError);
    expect(isTegataError(error, "passkey_cancelled")).toBe(true);
    expect(await getSession(auth)).toBeNull();
    expect(events).toEqual([]);
  });

  it("cancelling the registration dialog is PasskeyCancelledError and stores no passkey", async () => {
    const { auth, authenticator } = await setup();
    const browser = stubBrowser(authenticator);
    browser.next = "cancel";
    await expect(registerPasskey(auth, { name: "x" })).rejects.toBeInstanceOf(PasskeyCancelledError);
    expect(await listPasskeys(auth)).toEqual([]);
  });

  it("an assertion made on another origin is refused (InvalidPasskeyError), nothing stored", async () => {
    const { auth, authenticator } = await setup();
    stubBrowser(authenticator);
    await registerPasskey(auth);
    await signOut(auth);

    // The same passkeys, but a phishing page's origin in the client data.
    stubBrowser({
      passkeys: authenticator.passkeys,
      create: (options, ceremony) => authenticator.create(options, ceremony),
      get: (options, ceremony) =>
        authenticator.get(options, { ...ceremony, origin: "https://auth.tegata.test.evil.example" }),
    });
    await expect(signInWithPasskey(auth)).rejects.toBeInstanceOf(InvalidPasskeyError);
    expect(await getSession(auth)).toBeNull();
  });
});

describe("feature detection", () => {
  it("without WebAuthn every ceremony is PasskeysUnsupportedError, before any request", async () => {
    const { mock, auth } = await setup();
    vi.stubGlobal("PublicKeyCredential", undefined);
    expect(passkeysSupported()).toBe(false);
    expect(await passkeyAutofillSupported()).toBe(false);
    const before = mock.requests.length;
    const error = await registerPasskey(auth).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasskeysUnsupportedError);
    expect((error as PasskeysUnsupportedError).code).toBe("passkeys_unsupported");
    await signOut(auth);
    const after = mock.requests.length;
    await expect(signInWithPasskey(auth)).rejects.toBeInstanceOf(PasskeysUnsupportedError);
    expect(mock.requests.length).toBe(after);
    expect(after).toBe(before + 1); // the sign-out only
  });
});
