/** What both mail adapters hand nodemailer: the port's message, its headers checked, with its Message-ID. */
import { randomUUID } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { checkMailHeaders, type MailMessage } from '../../ports/mail.js';

/**
 * Refuses headers the port reserves; the Message-ID is the message's own, else a new one in
 * `domain`; the sender is the message's, else `from`.
 */
export function nodemailerMessage(
  message: MailMessage,
  defaults: { readonly from: string; readonly domain: string },
): SendMailOptions & { messageId: string } {
  checkMailHeaders(message.headers);
  return {
    from: message.from ?? defaults.from,
    to: { name: message.to.name ?? '', address: message.to.address },
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    messageId: message.messageId ?? `<${randomUUID()}@${defaults.domain}>`,
    headers: { ...message.headers },
  };
}
