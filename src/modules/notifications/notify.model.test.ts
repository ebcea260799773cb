import { describe, expect, it } from 'vitest';
import { quietUntil, toLocale, localMinutes, parseHhMm, formatHhMm, isTimeZone } from './notify.model.js';
import { backoffMs } from './delivery.worker.js';
import { createSigner } from './signing.js';
import { renderTemplate, validateTemplate } from './template.renderer.js';
import { AppError } from '../../platform/errors.js';

describe('quiet hours', () => {
  const q = (at: string, zone: string, start: string, end: string) =>
    quietUntil(new Date(at), zone, parseHhMm(start), parseHhMm(end))?.toISOString() ?? null;

  it('defers to the end of a window that wraps midnight, in the user zone', () => {
    expect(q('2026-03-02T20:30:00Z', 'Europe/Moscow', '22:00', '08:00')).toBe('2026-03-03T05:00:00.000Z');
    expect(q('2026-03-03T04:59:30Z', 'Europe/Moscow', '22:00', '08:00')).toBe('2026-03-03T05:00:00.000Z');
    expect(q('2026-03-03T05:00:00Z', 'Europe/Moscow', '22:00', '08:00')).toBeNull();
    expect(q('2026-03-02T18:59:00Z', 'Europe/Moscow', '22:00', '08:00')).toBeNull();
  });

  it('handles same-day windows and no window', () => {
    expect(q('2026-03-02T13:30:00Z', 'UTC', '13:00', '14:00')).toBe('2026-03-02T14:00:00.000Z');
    expect(q('2026-03-02T14:00:00Z', 'UTC', '13:00', '14:00')).toBeNull();
    expect(quietUntil(new Date(), 'UTC', null, null)).toBeNull();
    expect(quietUntil(new Date(), 'UTC', 600, 600)).toBeNull();
  });

  it('reads local time and parses HH:MM', () => {
    expect(localMinutes(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe(8 * 60);
    expect(formatHhMm(parseHhMm('07:05'))).toBe('07:05');
    expect(() => parseHhMm('24:00')).toThrow();
    expect(isTimeZone('Asia/Vladivostok')).toBe(true);
    expect(isTimeZone('Nowhere/City')).toBe(false);
  });

  it('maps locales', () => {
    expect(toLocale('ru-RU')).toBe('ru');
    expect(toLocale('ru')).toBe('ru');
    expect(toLocale('en-GB')).toBe('en');
    expect(toLocale(null)).toBe('en');
    expect(toLocale('rus')).toBe('en');
  });
});

describe('back-off', () => {
  it('doubles from 30 s and caps at 6 h', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(30)).toBe(6 * 3_600_000);
  });
});

describe('unsubscribe tokens', () => {
  const signer = createSigner(Buffer.from('k'.repeat(32)));
  it('round-trips and refuses tampering or another key', () => {
    const token = signer.sign({ userId: 'u-1', category: 'news' });
    expect(signer.verify(token)).toEqual({ userId: 'u-1', category: 'news' });
    const [payload, mac] = token.split('.');
    const forged = Buffer.from('u-2|news').toString('base64url');
    expect(signer.verify(`${forged}.${mac}`)).toBeNull();
    expect(signer.verify(`${payload}.${mac}x`)).toBeNull();
    expect(signer.verify(`${payload}`)).toBeNull();
    expect(createSigner(Buffer.from('j'.repeat(32))).verify(token)).toBeNull();
  });

  it('refuses other spellings of the same signature bytes (unused bits, padding, the +/ alphabet)', () => {
    const token = signer.sign({ userId: 'u-1', category: 'news' });
    const [payload, mac] = token.split('.') as [string, string];
    // 32 bytes take 43 characters: the last one carries 4 bits and 2 unused ones a decoder ignores.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.at(-1)!);
    const spellings = [
      mac.slice(0, -1) + alphabet[last ^ 1],
      mac.slice(0, -1) + alphabet[last ^ 2],
      `${mac}=`,
      mac.replace(/-/g, '+').replace(/_/g, '/'),
      `${mac.slice(0, 20)}!${mac.slice(20)}`,
    ].filter((s) => s !== mac);
    expect(spellings.length).toBeGreaterThanOrEqual(4);
    for (const sig of spellings) {
      expect(Buffer.from(sig, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
      expect(signer.verify(`${payload}.${sig}`), sig).toBeNull();
    }
    expect(signer.verify(`${payload}.${mac}`)).toEqual({ userId: 'u-1', category: 'news' });
  });
});

describe('template rendering', () => {
  const t = (html: string) => ({ subject: 'S {{ name }}', body_text: 'T {{ name }}', body_html: html });

  it('escapes HTML output but not text', async () => {
    const r = await renderTemplate(t('<b>{{ name }}</b>'), { name: '<i>&' });
    expect(r).toEqual({ subject: 'S <i>&', text: 'T <i>&', html: '<b>&lt;i&gt;&amp;</b>' });
  });

  it('refuses file-system tags and broken syntax', () => {
    for (const bad of ['{% include "x" %}', '{% render "x" %}', '{% layout "x" %}', '{% if %}'])
      expect(() => validateTemplate(t(bad))).toThrow(AppError);
  });

  it('does not reach inherited properties', async () => {
    const r = await renderTemplate(t('{{ obj.constructor }}|{{ obj.own }}'), {
      obj: Object.assign(Object.create({ inherited: 1 }) as object, { own: 'yes' }),
    });
    expect(r.html).toBe('|yes');
  });
});
