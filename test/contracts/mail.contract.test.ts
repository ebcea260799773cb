/**
 * The mail port contract, on the file adapter and on the SMTP adapter against a real SMTP server
 * (smtp-server) started by the test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { MailError, type Mail } from '../../src/ports/mail.js';
import { createFileMail } from '../../src/adapters/mail/file.js';
import { createSmtpMail } from '../../src/adapters/mail/smtp.js';
import { parseMail, startSmtpServer, type ParsedMail, type TestSmtpServer } from '../helpers/smtp-server.js';

interface Harness {
  mail: Mail;
  /** Every message the engine holds, parsed. */
  inbox(): ParsedMail[];
  /** Every mailbox the engine would deliver to (SMTP envelope, or the To headers of the files). */
  recipients(): string[];
  close(): Promise<void>;
}

const FROM = 'Kinoservice <no-reply@kinoservice.test>';

const adapters: Record<string, () => Promise<Harness>> = {
  file: async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kino-mail-'));
    const mail = await createFileMail({ dir: path.join(dir, 'mail'), from: FROM });
    return {
      mail,
      inbox: () =>
        readdirSync(path.join(dir, 'mail'))
          .filter((f) => f.endsWith('.eml'))
          .map((f) => parseMail(readFileSync(path.join(dir, 'mail', f), 'utf8'))),
      recipients: () =>
        readdirSync(path.join(dir, 'mail'))
          .filter((f) => f.endsWith('.eml'))
          .flatMap((f) => {
            const to = parseMail(readFileSync(path.join(dir, 'mail', f), 'utf8')).headers.to ?? '';
            // What a mail client reads from the header (an RFC 5322 address-list parser).
            return addressparser(to, { flatten: true }).map((a) => a.address);
          }),
      async close() {
        await mail.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  smtp: async () => {
    const server: TestSmtpServer = await startSmtpServer();
    const mail = await createSmtpMail({ url: server.url, from: FROM });
    return {
      mail,
      inbox: () => server.received.map((r) => r.parsed),
      recipients: () => server.received.flatMap((r) => r.to),
      async close() {
        await mail.close();
        await server.close();
      },
    };
  },
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`mail port: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });
    afterAll(async () => {
      await h.close();
    });

    it('answers ping', async () => {
      await expect(h.mail.ping()).resolves.toBeUndefined();
    });

    it('delivers subject, text, html, extra headers and the given Message-ID', async () => {
      const sent = await h.mail.send({
        to: { address: 'anna@example.com' },
        subject: 'Привет, Anna',
        text: 'Plain body with a long link https://cinema.example.com/api/v1/auth/verify-email?token=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz',
        html: '<p>Hello <b>Anna</b></p>',
        messageId: '<contract-1@kinoservice.test>',
        headers: {
          'List-Unsubscribe': '<https://cinema.example.com/u?t=1>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
      expect(sent.messageId).toBe('<contract-1@kinoservice.test>');
      const got = h.inbox().find((m) => m.headers['message-id'] === '<contract-1@kinoservice.test>');
      expect(got).toBeDefined();
      expect(got!.subject).toBe('Привет, Anna');
      expect(got!.headers.to).toContain('anna@example.com');
      expect(got!.headers.from).toContain('no-reply@kinoservice.test');
      expect(got!.text).toContain(
        'https://cinema.example.com/api/v1/auth/verify-email?token=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz',
      );
      expect(got!.html).toContain('<b>Anna</b>');
      expect(got!.headers['list-unsubscribe']).toBe('<https://cinema.example.com/u?t=1>');
      expect(got!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    });

    it('takes the recipient as one address object: never read as a list or a display name', async () => {
      for (const address of ['carol@example.com, mallory@example.com', 'car<mallory@example.com>ol@x.test']) {
        await h.mail.send({ to: { address }, subject: 's', text: 't' }).catch((e: unknown) => {
          expect(e).toBeInstanceOf(MailError);
        });
      }
      expect(h.recipients()).not.toContain('mallory@example.com');
      await h.mail.send({
        to: { address: 'dave@example.com', name: 'Dave, "the" <boss>' },
        subject: 's',
        text: 't',
      });
      expect(h.recipients()).toContain('dave@example.com');
      expect(h.recipients()).not.toContain('boss');
    });

    it('generates a Message-ID when none is given', async () => {
      const sent = await h.mail.send({ to: { address: 'b@example.com' }, subject: 's', text: 't' });
      expect(sent.messageId).toMatch(/^<[^@>]+@[^>]+>$/);
      expect(h.inbox().some((m) => m.headers['message-id'] === sent.messageId)).toBe(true);
    });

    it('refuses reserved or injected headers with a permanent MailError', async () => {
      const bad: Record<string, string>[] = [{ Subject: 'x' }, { 'X-Ok': 'a\r\nBcc: victim@example.com' }];
      for (const headers of bad) {
        const error = await h.mail
          .send({ to: { address: 'c@example.com' }, subject: 's', text: 't', headers })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MailError);
        expect((error as MailError).permanent).toBe(true);
      }
    });
  });
}

describe('mail port: adapter specifics', () => {
  it('file: the same Message-ID twice leaves one file', async () => {
    const h = await adapters.file!();
    try {
      for (let i = 0; i < 2; i++)
        await h.mail.send({
          to: { address: 'd@example.com' },
          subject: 's',
          text: 't',
          messageId: '<same@x.test>',
        });
      expect(h.inbox().filter((m) => m.headers['message-id'] === '<same@x.test>')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('smtp: a refused recipient is permanent, an unreachable server is transient', async () => {
    const server = await startSmtpServer();
    server.reject.add('gone@example.com');
    const mail = await createSmtpMail({ url: server.url, from: FROM });
    try {
      const refused = await mail
        .send({ to: { address: 'gone@example.com' }, subject: 's', text: 't' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MailError);
      expect((refused as MailError).permanent).toBe(true);
    } finally {
      await mail.close();
      await server.close();
    }
    const down = await createSmtpMail({ url: server.url, from: FROM });
    const error = await down
      .send({ to: { address: 'x@example.com' }, subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).permanent).toBe(false);
    await down.close();
  });
});
