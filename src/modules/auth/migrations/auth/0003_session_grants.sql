-- Tokens bound to current grants (docs/adr/0032), social logins bound to their browser.

-- The version of a session's grants: bumped when its user's roles or a held role's permissions
-- change, so that access tokens signed before the change are refused at once.
ALTER TABLE auth.sessions ADD COLUMN grants_version integer NOT NULL DEFAULT 0;

-- The browser that started a social login: the hash of a nonce kept in that browser's cookie,
-- checked at the callback (login CSRF, RFC 9700 §4.7). Attempts started before it are void.
ALTER TABLE auth.oauth_states ADD COLUMN browser_hash text;
DELETE FROM auth.oauth_states;
ALTER TABLE auth.oauth_states ALTER COLUMN browser_hash SET NOT NULL;

-- A user is subscribed or not: SUB_USER and UNSUB_USER are exclusive (assigning one removes the
-- other); accounts that were given both keep the subscription.
DELETE FROM auth.user_roles u WHERE u.role_code = 'UNSUB_USER'
  AND EXISTS (SELECT 1 FROM auth.user_roles s WHERE s.user_id = u.user_id AND s.role_code = 'SUB_USER');
