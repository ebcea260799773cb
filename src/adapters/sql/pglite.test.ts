import { describe, expect, it } from 'vitest';
import { createPgliteSql } from './pglite.js';

describe('PGlite adapter', () => {
  it('starts with the buffer cache it is given', async () => {
    const sql = await createPgliteSql('memory://', { sharedBuffers: '16MB' });
    try {
      const [row] = await sql.query<{ size: string }>(`SELECT current_setting('shared_buffers') AS size`);
      expect(row!.size).toBe('16MB');
    } finally {
      await sql.close();
    }
  });
});
