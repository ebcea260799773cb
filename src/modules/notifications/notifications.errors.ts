/** The notifications module's error codes. */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const notificationsErrors = defineErrors({
  TIME_ZONE_UNKNOWN: { status: 400, message: 'Unknown time zone; use an IANA name such as Europe/Moscow.' },
  CATEGORY_UNKNOWN: { status: 400, message: 'Unknown category.' },
  CATEGORY_REQUIRED: {
    status: 400,
    message: 'These messages are sent only when you ask for them and cannot be turned off.',
  },
  CATEGORY_NOT_ALLOWED: { status: 400, message: 'Campaigns cannot use templates of this category.' },
  UNSUBSCRIBE_TOKEN_INVALID: { status: 400, message: 'This unsubscribe link is not valid.' },
  TEMPLATE_INVALID: { status: 400, message: 'The template does not parse.' },
  TEMPLATE_RENDER_FAILED: { status: 400, message: 'The template does not render.' },
  AUDIENCE_INVALID: {
    status: 400,
    message: 'A role audience names the role; a users audience lists at least one user id.',
  },
  SEND_AT_INVALID: { status: 400, message: 'send_at must be an ISO 8601 time.' },
  NOTIFICATION_NOT_FOUND: { status: 404, message: 'There is no such notification in your inbox.' },
  TEMPLATE_NOT_FOUND: { status: 404, message: 'There is no such template.' },
  CAMPAIGN_NOT_FOUND: { status: 404, message: 'There is no such campaign.' },
  DEAD_LETTER_NOT_FOUND: { status: 404, message: 'There is no such dead-lettered notification.' },
  TEMPLATE_BUILTIN: { status: 409, message: 'Built-in templates can be edited but not deleted.' },
  CAMPAIGN_NOT_CANCELLABLE: { status: 409, message: 'The campaign has already started or ended.' },
  TOO_MANY_SOCKETS: { status: 429, message: 'Too many open sockets from this address.' },
});

export type NotificationsErrorCode = ErrorCode<typeof notificationsErrors>;
