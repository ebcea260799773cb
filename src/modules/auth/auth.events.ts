/**
 * Events the auth module publishes. Tokens in the two *.requested events are single-use, expire
 * within an hour and are stored only as hashes by auth; the notifications module turns them into
 * mails with links.
 */
/** A single-use link to mail to `email`: the account, the token and when it expires. */
export interface OneTimeLinkRequested {
  userId: string;
  email: string;
  login: string;
  token: string;
  expiresAt: string;
  locale: string;
}

declare module '../../platform/events.js' {
  interface EventMap {
    'auth.user.registered': {
      userId: string;
      login: string;
      email: string;
      firstName: string | null;
      locale: string;
    };
    'auth.email_verification.requested': OneTimeLinkRequested;
    'auth.password_reset.requested': OneTimeLinkRequested;
    /**
     * The account's address changed. `token` (single use, valid until `expiresAt`) lets the
     * previous address undo the change; the notice goes to `oldEmail`.
     */
    'auth.email.changed': {
      userId: string;
      login: string;
      locale: string;
      oldEmail: string;
      newEmail: string;
      token: string;
      expiresAt: string;
    };
    /** An email change was undone from the previous address, which the account holds again. */
    'auth.email.restored': { userId: string; email: string };
    'auth.user.roles_changed': { userId: string; roles: readonly string[] };
    /** A session (or all of a user's sessions) ended: logout, password change, admin action. */
    'auth.session.revoked': { userId: string; sessionIds: readonly string[] };
    'auth.user.deleted': { userId: string };
  }
}
