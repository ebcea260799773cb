/**
 * Liquid rendering, made safe for templates admins edit: no file system (include/render/layout
 * find nothing), own properties only, HTML output escaped, and limits on template size, render
 * time and memory so a template cannot stall the worker.
 */
import { Liquid, type Template } from 'liquidjs';
import { LRUCache } from 'lru-cache';
import { notificationsErrors } from './notifications.errors.js';

const common = {
  templates: {},
  relativeReference: false,
  ownPropertyOnly: true,
  strictFilters: true,
  strictVariables: false,
  parseLimit: 64 * 1024,
  renderLimit: 1_000,
  memoryLimit: 4 * 1024 * 1024,
  dynamicPartials: false,
} as const;

const htmlEngine = new Liquid({ ...common, outputEscape: 'escape' });
const textEngine = new Liquid({ ...common });
// Templates live in the database: tags that would read other templates or files are refused.
for (const engine of [htmlEngine, textEngine])
  for (const tag of ['include', 'render', 'layout'])
    engine.registerTag(tag, {
      parse() {
        throw new Error(`the ${tag} tag is not available in notification templates`);
      },
      render() {
        return '';
      },
    });

export interface TemplateSource {
  readonly subject: string;
  readonly body_text: string;
  readonly body_html: string;
}

export interface Rendered {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const parsed = new LRUCache<string, Template[]>({ max: 500 });

function parse(engine: Liquid, kind: string, source: string): Template[] {
  const cacheKey = `${kind}\u0000${source}`;
  let hit = parsed.get(cacheKey);
  if (!hit) {
    hit = engine.parse(source);
    parsed.set(cacheKey, hit);
  }
  return hit;
}

/** Throws 400 TEMPLATE_INVALID naming the part that does not parse. */
export function validateTemplate(source: TemplateSource): void {
  for (const [field, engine, text] of [
    ['subject', textEngine, source.subject],
    ['body_text', textEngine, source.body_text],
    ['body_html', htmlEngine, source.body_html],
  ] as const) {
    try {
      parse(engine, field, text);
    } catch (error) {
      throw notificationsErrors.TEMPLATE_INVALID({
        detail: `The ${field} template does not parse.`,
        errors: [{ field: `/${field}`, message: (error as Error).message.split('\n')[0] ?? 'invalid' }],
      });
    }
  }
}

export async function renderTemplate(
  source: TemplateSource,
  scope: Record<string, unknown>,
): Promise<Rendered> {
  const [subject, text, html] = await Promise.all([
    textEngine.render(parse(textEngine, 'subject', source.subject), scope) as Promise<string>,
    textEngine.render(parse(textEngine, 'body_text', source.body_text), scope) as Promise<string>,
    htmlEngine.render(parse(htmlEngine, 'body_html', source.body_html), scope) as Promise<string>,
  ]);
  // A subject is one header line.
  return { subject: subject.replace(/\s+/g, ' ').trim().slice(0, 250), text: text.trim(), html };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
