-- Token binding (docs/adr/0032-session-registry-and-grants.md).

-- The version of a session's grants: bumped when its user's roles or a held role's permissions
-- change, so that access tokens signed before the change are refused at once.
ALTER TABLE auth.sessions ADD COLUMN grants_version integer NOT NULL DEFAULT 0;

-- A user is subscribed or not: SUB_USER and UNSUB_USER are exclusive (assigning one removes the
-- other); accounts that were given both keep the subscription.
DELETE FROM auth.user_roles u WHERE u.role_code = 'UNSUB_USER'
  AND EXISTS (SELECT 1 FROM auth.user_roles s WHERE s.user_id = u.user_id AND s.role_code = 'SUB_USER');
