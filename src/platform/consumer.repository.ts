/** What consumers record: processed event ids (platform.processed_event) and dead letters. */
import type { SqlExecutor } from '../ports/sql.js';

export interface DeadLetter {
  consumer: string;
  eventId: string;
  type: string;
  /** The payload as JSON text. */
  payload: string;
  error: string;
}

export function createConsumerRepository(db: SqlExecutor) {
  return {
    /** Records (consumer, event id); false when it was recorded before. */
    async markProcessed(consumer: string, eventId: string): Promise<boolean> {
      const inserted = await db.execute(
        'INSERT INTO platform.processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [consumer, eventId],
      );
      return inserted > 0;
    },

    /** Deletes processed-event ids older than `hours`; returns how many. */
    async pruneProcessed(hours: number): Promise<number> {
      return db.execute(
        `DELETE FROM platform.processed_event WHERE processed_at < now() - make_interval(hours => $1)`,
        [hours],
      );
    },

    /**
     * Stores a dead letter. `payloadAs` says how the payload text becomes the jsonb column: parsed
     * (`json`), or kept as one JSON string (`text`) when its values cannot be stored as they are.
     */
    async recordDeadLetter(letter: DeadLetter, payloadAs: 'json' | 'text'): Promise<void> {
      const payload = payloadAs === 'json' ? '$4::jsonb' : 'to_jsonb($4::text)';
      await db.execute(
        `INSERT INTO platform.dead_letter (consumer, event_id, type, payload, error) VALUES ($1, $2, $3, ${payload}, $5)`,
        [letter.consumer, letter.eventId, letter.type, letter.payload, letter.error],
      );
    },
  };
}

export type ConsumerRepository = ReturnType<typeof createConsumerRepository>;
