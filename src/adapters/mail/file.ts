/** Mail adapter for the all-in-one shape: each message becomes an RFC 5322 .eml file in a folder. */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile, access, constants } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { MailError, type Mail, type MailMessage } from '../../ports/mail.js';
import { nodemailerMessage } from './message.js';

export interface FileMailOptions {
  /** Folder the .eml files go into (created when missing). */
  readonly dir: string;
  readonly from: string;
  /** Domain for generated Message-IDs. */
  readonly domain?: string;
}

export async function createFileMail(options: FileMailOptions): Promise<Mail> {
  await mkdir(options.dir, { recursive: true });
  // Builds the message only; nothing leaves the process.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const domain = options.domain ?? 'kinoservice.local';
  let closed = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  return {
    engine: 'file',
    async send(message: MailMessage) {
      if (closed) throw new MailError('mail adapter is closed', false);
      const mail = nodemailerMessage(message, { from: options.from, domain });
      const messageId = mail.messageId;
      inFlight++;
      try {
        const info = await composer.sendMail(mail).catch((error: unknown) => {
          throw new MailError(`cannot build the message: ${(error as Error).message}`, true, {
            cause: error,
          });
        });
        const name = createHash('sha256').update(messageId).digest('hex').slice(0, 32) + '.eml';
        const target = path.join(options.dir, name);
        const temp = `${target}.${randomUUID().slice(0, 8)}.tmp`;
        try {
          await writeFile(temp, info.message as Buffer, { mode: 0o600 });
          await rename(temp, target);
        } catch (error) {
          throw new MailError(`cannot write ${target}: ${(error as Error).message}`, false, { cause: error });
        }
        return { messageId };
      } finally {
        inFlight--;
        if (inFlight === 0) drained?.();
      }
    },
    async ping() {
      await access(options.dir, constants.W_OK);
    },
    async close() {
      closed = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      composer.close();
    },
  };
}
