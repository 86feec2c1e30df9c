import type { TotpVerdict } from '../admin-totp/admin-totp.service.js';

type PasswordVerdict = { ok: true } | { ok: false; reason: 'throttled'; retryAfterSeconds: number } | { ok: false; reason: 'invalid_credentials' };

export interface SignInRefusal {
  status: 401 | 429;
  /** Shown on the page: the same words whether the account exists and whichever factor was wrong. */
  error: string;
  headers: Record<string, string>;
}

/**
 * The answer of a sign-in form (login page, account page) whose password or one-time code was refused,
 * or undefined when both passed.
 */
export function signInRefusal(password: PasswordVerdict, secondFactor: TotpVerdict, oneTimeCode: boolean): SignInRefusal | undefined {
  if (password.ok && secondFactor.ok) return undefined;
  const retryAfterSeconds = !password.ok ? (password.reason === 'throttled' ? password.retryAfterSeconds : 0) : secondFactor.ok ? 0 : secondFactor.retryAfterSeconds;
  if (retryAfterSeconds > 0) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    return { status: 429, error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, headers: { 'retry-after': String(retryAfterSeconds) } };
  }
  return { status: 401, error: oneTimeCode ? 'The email address, password or one-time code is not correct.' : 'The email address or password is not correct.', headers: {} };
}
