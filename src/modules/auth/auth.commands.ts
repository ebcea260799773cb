/** `kino createsuperuser` and `kino keys rotate`. */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Command, CommandContext } from '../../platform/module.js';
import { AppError } from '../../platform/errors.js';

function option(args: readonly string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const arg = args[i]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
}

/** Reads a password from the terminal without echoing it. */
async function prompt(ctx: CommandContext, question: string): Promise<string> {
  ctx.stderr.write(question);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await rl.question('');
  } finally {
    rl.close();
    ctx.stderr.write('\n');
  }
}

export const createSuperuserCommand: Command = {
  summary: 'Create an administrator (or give ADMIN to an existing account); idempotent.',
  usage: 'kino createsuperuser --login <login> --email <email>   (password prompted, or KINO_ADMIN_PASSWORD)',
  async run(ctx) {
    const login = option(ctx.args, 'login');
    const email = option(ctx.args, 'email');
    if (!login || !email) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let password = ctx.config.adminPassword;
    if (!password) {
      if (!process.stdin.isTTY) {
        ctx.stderr.write('kino createsuperuser: no terminal; set KINO_ADMIN_PASSWORD.\n');
        return 2;
      }
      password = await prompt(ctx, 'Password: ');
      if ((await prompt(ctx, 'Password (again): ')) !== password) {
        ctx.stderr.write('kino createsuperuser: the passwords differ.\n');
        return 1;
      }
    }
    const kernel = await ctx.kernel(['auth']);
    try {
      const auth = kernel.services.require('auth');
      const result = await auth.ensureSuperuser({ login, email, password });
      await kernel.flushOutbox();
      ctx.stdout.write(
        result === 'created'
          ? `Administrator ${login} created.\n`
          : result === 'promoted'
            ? `${login} already existed and now has the ADMIN role.\n`
            : `${login} is already an administrator; nothing changed.\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof AppError) {
        ctx.stderr.write(`kino createsuperuser: ${error.message} (${error.code})\n`);
        return 1;
      }
      throw error;
    } finally {
      await kernel.close();
    }
  },
};

export const keysCommand: Command = {
  summary:
    'Manage token signing keys: list them, or rotate (old public keys stay published until their tokens expire).',
  usage: 'kino keys rotate | kino keys list',
  async run(ctx) {
    const sub = ctx.args[0];
    if (sub !== 'rotate' && sub !== 'list') {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const kernel = await ctx.kernel(['auth']);
    try {
      const auth = kernel.services.require('auth');
      if (sub === 'rotate')
        ctx.stdout.write(
          `New signing key ${await auth.keys.rotate()}; running replicas switch within a minute.\n`,
        );
      for (const key of auth.keys.jwks().keys) ctx.stdout.write(`${key.kid ?? ''}\t${key.alg ?? ''}\n`);
      return 0;
    } finally {
      await kernel.close();
    }
  },
};
