/** The ugc module's error codes. A film that is missing or out of reach answers catalog's codes. */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';
import { MAX_EVENTS_PER_REQUEST } from './ugc.schemas.js';

export const ugcErrors = defineErrors({
  REVIEW_NOT_FOUND: { status: 404, message: 'There is no review with this id.' },
  PROGRESS_NOT_FOUND: { status: 404, message: 'You have not started this film.' },
  REVIEW_EXISTS: { status: 409, message: 'You have already reviewed this film; edit that review.' },
  NOT_REVIEW_AUTHOR: {
    status: 403,
    message: 'Only the author may edit a review; only the author or an admin may delete it.',
  },
  POSITION_BEYOND_DURATION: { status: 400, message: 'position_s cannot be larger than duration_s.' },
  TOO_MANY_EVENTS: { status: 400, message: `Send at most ${MAX_EVENTS_PER_REQUEST} events per request.` },
});

export type UgcErrorCode = ErrorCode<typeof ugcErrors>;
