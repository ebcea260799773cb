/** TypeBox schemas of the notifications API. */
import { Type } from '@sinclair/typebox';
import { CATEGORIES, CHANNELS, LOCALES } from './notify.model.js';
import { pagingFields } from '../../platform/http/paging.js';

const Uuid = Type.String({ format: 'uuid' });
const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', examples: ['22:00'] });
const Channel = Type.Union([Type.Literal(CHANNELS[0]), Type.Literal(CHANNELS[1])]);
const Locale = Type.Union([Type.Literal(LOCALES[0]), Type.Literal(LOCALES[1])]);

export const IdParams = Type.Object({ id: Uuid });
export const Page = pagingFields();
export const PageQuery = Type.Object(Page, { additionalProperties: false });
export const InboxQuery = Type.Object(
  { unread: Type.Boolean({ default: false }), ...Page },
  { additionalProperties: false },
);

export const Notification = Type.Object({
  id: Uuid,
  category: Type.String(),
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
  read_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const ChannelFlags = Type.Object({ email: Type.Boolean(), in_app: Type.Boolean() });
const ChannelFlagsPatch = Type.Object(
  { email: Type.Optional(Type.Boolean()), in_app: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const QuietHours = Type.Union([
  Type.Object({ start: HhMm, end: HhMm }, { additionalProperties: false }),
  Type.Null(),
]);

export const PreferencesBody = Type.Object({
  locale: Locale,
  time_zone: Type.String(),
  quiet_hours: QuietHours,
  categories: Type.Record(Type.String(), ChannelFlags),
});
export const PreferencesPatch = Type.Object(
  {
    locale: Type.Optional(Locale),
    time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    quiet_hours: Type.Optional(QuietHours),
    categories: Type.Optional(
      Type.Object(
        {
          account: Type.Optional(ChannelFlagsPatch),
          security: Type.Optional(ChannelFlagsPatch),
          social: Type.Optional(ChannelFlagsPatch),
          films: Type.Optional(ChannelFlagsPatch),
          news: Type.Optional(ChannelFlagsPatch),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const UnsubscribeQuery = Type.Object({ token: Type.String({ minLength: 10, maxLength: 512 }) });

export const TemplateKeyParams = Type.Object({
  key: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }),
  locale: Locale,
});
export const TemplateBody = Type.Object(
  {
    category: Type.Union(CATEGORIES.map((c) => Type.Literal(c))),
    subject: Type.String({ minLength: 1, maxLength: 1000 }),
    body_text: Type.String({ minLength: 1, maxLength: 64_000 }),
    body_html: Type.String({ minLength: 1, maxLength: 64_000 }),
  },
  { additionalProperties: false },
);
export const Template = Type.Object({
  key: Type.String(),
  locale: Type.String(),
  category: Type.String(),
  subject: Type.String(),
  body_text: Type.String(),
  body_html: Type.String(),
  builtin: Type.Boolean(),
  updated_at: Type.String({ format: 'date-time' }),
});
export const PreviewBody = Type.Object(
  {
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    subject: Type.Optional(Type.String({ maxLength: 1000 })),
    body_text: Type.Optional(Type.String({ maxLength: 64_000 })),
    body_html: Type.Optional(Type.String({ maxLength: 64_000 })),
  },
  { additionalProperties: false },
);
export const Preview = Type.Object({ subject: Type.String(), text: Type.String(), html: Type.String() });

export const CampaignBody = Type.Object(
  {
    template: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }),
    audience: Type.Union([
      Type.Object({ kind: Type.Literal('all') }, { additionalProperties: false }),
      Type.Object(
        { kind: Type.Literal('role'), role: Type.String({ minLength: 1, maxLength: 64 }) },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('users'), user_ids: Type.Array(Uuid, { minItems: 1, maxItems: 100_000 }) },
        { additionalProperties: false },
      ),
    ]),
    channels: Type.Array(Channel, { minItems: 1, maxItems: 2 }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    send_at: Type.Optional(Type.String({ format: 'date-time' })),
    local_time: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const Campaign = Type.Object({
  id: Uuid,
  template: Type.String(),
  category: Type.String(),
  audience: Type.Record(Type.String(), Type.Unknown()),
  channels: Type.Array(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
  send_at: Type.String({ format: 'date-time' }),
  local_time: Type.Boolean(),
  status: Type.String(),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  progress: Type.Object({
    total: Type.Integer(),
    sent: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
    pending: Type.Integer(),
    cancelled: Type.Integer(),
  }),
});
export const DeadLetter = Type.Object({
  id: Uuid,
  user_id: Uuid,
  channel: Type.String(),
  category: Type.String(),
  template: Type.String(),
  source: Type.String(),
  campaign_id: Type.Union([Uuid, Type.Null()]),
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  failed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
