/** TypeBox schemas for the auth, users and roles routes. */
import { Type } from '@sinclair/typebox';
import { pagingFields } from '../../platform/http/paging.js';

export const Login = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
/**
 * One bare mailbox: no display name, group, comment, list or quoting. The service then maps and
 * normalises it (email.ts) and refuses what is still not an address.
 */
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern:
    '^[^\\s@<>()\\[\\]\\\\,;:"\\u0000-\\u001f\\u007f]+@[^\\s@<>()\\[\\]\\\\,;:"\\u0000-\\u001f\\u007f]+\\.[^\\s@<>()\\[\\]\\\\,;:"\\u0000-\\u001f\\u007f]+$',
});
/** A single-use token from a mailed link. */
export const TokenBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const TokenQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
/** Length rules are checked by the service (in characters, with a stable error code). */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Name = Type.Union([Type.Null(), Type.String({ maxLength: 100 })]);
/** Dates leave the services as Date objects and are serialised as RFC 3339 strings. */
const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time' }));

export const TokenPair = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
});

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  login: Type.String(),
  email: Type.String(),
  first_name: Name,
  last_name: Name,
  email_verified: Type.Boolean(),
  mfa_enabled: Type.Boolean(),
  created_at: Timestamp,
});

export const UserWithRoles = Type.Composite([User, Type.Object({ roles: Type.Array(Type.String()) })]);

export const RegisterBody = Type.Object(
  {
    login: Login,
    email: Email,
    password: Password,
    first_name: Type.Optional(Name),
    last_name: Type.Optional(Name),
  },
  { additionalProperties: false },
);

export const RegisterReply = Type.Composite([Type.Object({ user: User }), TokenPair]);

export const LoginBody = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 254 }), password: Password },
  { additionalProperties: false },
);
export const MfaRequired = Type.Object({ mfa_required: Type.Literal(true), mfa_token: Type.String() });
export const LoginReply = Type.Union([TokenPair, MfaRequired]);

export const MfaBody = Type.Object(
  {
    mfa_token: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.String({ minLength: 6, maxLength: 20 }),
  },
  { additionalProperties: false },
);
export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const Session = Type.Object({
  id: Type.String({ format: 'uuid' }),
  method: Type.String(),
  user_agent: Type.Union([Type.Null(), Type.String()]),
  ip: Type.Union([Type.Null(), Type.String()]),
  created_at: Timestamp,
  last_used_at: Timestamp,
  current: Type.Boolean(),
});

export const HistoryEntry = Type.Object({
  at: Timestamp,
  ip: Type.Union([Type.Null(), Type.String()]),
  user_agent: Type.Union([Type.Null(), Type.String()]),
  success: Type.Boolean(),
  method: Type.String(),
});

export const Paging = Type.Object(pagingFields());

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const RoleCode = Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' });
export const Role = Type.Object({
  code: RoleCode,
  description: Type.String({ maxLength: 500 }),
  permissions: Type.Array(RoleCode, { maxItems: 100 }),
});
export const Permission = Type.Object({ code: Type.String(), description: Type.String() });
