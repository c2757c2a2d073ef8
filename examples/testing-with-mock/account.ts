// A small piece of "application code" that uses tegata: what a sign-in form would call.
import { type AuthClient, isTegataError } from "tegata";
import { signIn } from "tegata/credentials";

export type FormMessage = { kind: "ok" | "error" | "mfa"; text: string };

export async function submitSignIn(auth: AuthClient, email: string, password: string): Promise<FormMessage> {
  try {
    const result = await signIn(auth, { email, password });
    if (result.status === "mfa_required")
      return { kind: "mfa", text: "Enter the code from your authenticator app" };
    return { kind: "ok", text: `Welcome, ${result.session.user?.name ?? result.session.user?.email}` };
  } catch (error) {
    if (isTegataError(error, "invalid_credentials")) {
      const left = error.remainingAttempts;
      return {
        kind: "error",
        text: `Wrong email or password${left === undefined ? "" : ` (${left} attempts left)`}`,
      };
    }
    if (isTegataError(error, "account_locked")) {
      const minutes = Math.ceil((error.retryAfter ?? 0) / 60);
      return { kind: "error", text: `Too many attempts. Try again in ${minutes} minutes.` };
    }
    if (isTegataError(error, "network_error") || isTegataError(error, "timeout")) {
      return { kind: "error", text: "Cannot reach the server. Check your connection." };
    }
    throw error;
  }
}
