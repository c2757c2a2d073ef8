import type { PasswordIssue } from "./errors";

/**
 * Anything that checks a password, such as a policy from `tegata/password`. `tegata/credentials`
 * and `tegata/mock` take one without importing the password module at run time.
 */
export interface PasswordChecker {
  check(
    password: string,
    context?: { email?: string; name?: string; words?: string[] },
  ): Promise<{ ok: boolean; issues: PasswordIssue[] }>;
}
