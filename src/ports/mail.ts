/**
 * The mail port: RFC 5322 messages written as .eml files into a folder (embedded) or handed to an
 * SMTP server (nodemailer, pooled). No vendor type crosses it.
 *
 * Guarantees every adapter keeps:
 * - `send` resolves only once the engine has taken responsibility for the message: the .eml file
 *   is completely written (written to a temporary name, then renamed), or the SMTP server answered
 *   250 to the end of DATA. It resolves with the Message-ID the message carries.
 * - `messageId` (when given) is used verbatim as the Message-ID header, so callers can make a
 *   retried send recognisable as the same message. The file adapter names the file after it:
 *   sending the same id twice leaves one file.
 * - A refused message rejects with a `MailError`; `permanent` is true when retrying cannot help
 *   (5xx reply, invalid address), false for transient trouble (connection lost, 4xx reply).
 * - `headers` are added as given (e.g. List-Unsubscribe, List-Unsubscribe-Post); header names
 *   that the adapter sets itself (From, To, Subject, Message-ID, Date, MIME headers) are refused.
 * - `to.address` reaches the envelope and the To header as one mailbox, verbatim: an address
 *   with a comma or angle brackets is one (invalid) recipient, never several or another one.
 * - `close()` waits for messages in flight and releases connections; later sends reject.
 */
/**
 * One recipient as an address object: `address` is used exactly as given (never parsed as an
 * address list or a display-name form), `name` is an optional display name.
 */
export interface MailAddress {
  readonly address: string;
  readonly name?: string;
}

export interface MailMessage {
  /** One recipient; adapters never parse it as a string. */
  readonly to: MailAddress;
  /** Overrides the configured sender. */
  readonly from?: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** `<local@domain>` form. */
  readonly messageId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SentMail {
  readonly messageId: string;
}

export interface Mail {
  readonly engine: 'file' | 'smtp';
  send(message: MailMessage): Promise<SentMail>;
  /** Resolves when the engine can accept mail (folder writable, SMTP server answers). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class MailError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MailError';
    this.permanent = permanent;
  }
}

/** Header names adapters set themselves. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

/** Validates `headers` against RESERVED_HEADERS and CR/LF injection. */
export function checkMailHeaders(headers: Readonly<Record<string, string>> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase()) || !/^[A-Za-z0-9-]+$/.test(name))
      throw new MailError(`header ${name} cannot be set by callers`, true);
    if (/[\r\n]/.test(value)) throw new MailError(`header ${name} contains a line break`, true);
  }
}
