/**
 * Typed auth-state events.
 *
 * @module
 */
import type { Session } from "./session";

/** What changed. */
export type AuthEvent =
  /** A user signed in (password, MFA, sign-up, OAuth). */
  | "SIGNED_IN"
  /** The session was removed: sign-out here, on another tab, or after the server ended it. */
  | "SIGNED_OUT"
  /** New tokens replaced the old ones. */
  | "TOKEN_REFRESHED"
  /** The server refused the refresh token; a `SIGNED_OUT` follows. */
  | "SESSION_EXPIRED"
  /** The user's profile (such as the email address) changed. */
  | "USER_UPDATED";

/** Receives every auth-state change with the session as it is after the change. */
export type AuthStateListener = (event: AuthEvent, session: Session | null) => void;

/** @internal a small synchronous event hub, one per client. */
export interface Emitter {
  emit(event: AuthEvent, session: Session | null): void;
  subscribe(listener: AuthStateListener): () => void;
}

/** @internal */
export function createEmitter(onListenerError: (error: unknown) => void): Emitter {
  const listeners = new Set<AuthStateListener>();
  return {
    emit(event, session) {
      for (const listener of [...listeners]) {
        try {
          listener(event, session);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      const entry: AuthStateListener = (e, s) => listener(e, s);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}
