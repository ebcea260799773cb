/** Mail adapter for the distributed shape: nodemailer's pooled SMTP transport. */
import nodemailer from 'nodemailer';
import { MailError, type Mail, type MailMessage } from '../../ports/mail.js';
import { nodemailerMessage } from './message.js';

export interface SmtpMailOptions {
  /** smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (implicit TLS). */
  readonly url: string;
  readonly from: string;
  readonly domain?: string;
  /** Parallel connections in the pool (default 5). */
  readonly maxConnections?: number;
  readonly onError?: (error: unknown) => void;
}

/** 5xx replies and address errors will not get better by retrying. */
function isPermanent(error: unknown): boolean {
  const e = error as { responseCode?: number; code?: string };
  if (typeof e.responseCode === 'number') return e.responseCode >= 500;
  return e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
}

export async function createSmtpMail(options: SmtpMailOptions): Promise<Mail> {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: 100,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  transport.on('error', (error) => options.onError?.(error));
  const domain = options.domain ?? 'kinoservice.local';
  let closed = false;

  return {
    engine: 'smtp',
    async send(message: MailMessage) {
      if (closed) throw new MailError('mail adapter is closed', false);
      const mail = nodemailerMessage(message, { from: options.from, domain });
      const messageId = mail.messageId;
      try {
        await transport.sendMail(mail);
      } catch (error) {
        throw new MailError(`SMTP refused the message: ${(error as Error).message}`, isPermanent(error), {
          cause: error,
        });
      }
      return { messageId };
    },
    async ping() {
      try {
        await transport.verify();
      } catch (error) {
        throw new MailError(`SMTP server does not answer: ${(error as Error).message}`, false, {
          cause: error,
        });
      }
    },
    async close() {
      closed = true;
      transport.close();
    },
  };
}
