/** The admin API's error codes. An unknown film, genre or person answers content's codes. */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const adminErrors = defineErrors({
  INVALID_IF_MATCH: { status: 400, message: 'If-Match must be the ETag of the object ("<version>").' },
  VERSION_REQUIRED: {
    status: 400,
    message: 'Send the version you edited (`version` in the body or an If-Match header).',
  },
  INVALID_RANGE: { status: 400, message: 'A range starts after it ends.' },
  ACCESS_REQUIRED: { status: 400, message: 'set_access needs `access` (FREE, PAID or ARCHIVED).' },
  // The code keeps its first name (the content service was the catalog module's): clients see it.
  CATALOG_NOT_IN_PROCESS: {
    status: 503,
    message: 'The admin API needs the content module in the same process (SERVICES=admin,content,…).',
  },
  ADMIN_UI_NOT_BUILT: {
    status: 503,
    message: 'The admin panel has not been built. Run `npm run build` (or `npm install`) and restart.',
  },
});

export type AdminErrorCode = ErrorCode<typeof adminErrors>;
