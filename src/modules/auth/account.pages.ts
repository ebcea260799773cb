/**
 * The small pages that mailed links open (/account/*): plain HTML forms that post back to the
 * same path, no script at all, one stylesheet from 'self' — within the app's CSP.
 */

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface Page {
  title: string;
  /** Shown above the form: what happened. */
  message?: string;
  /** `error` styles the message as a failure. */
  tone?: 'ok' | 'error';
  forms?: readonly Form[];
}

export interface Form {
  action: string;
  submit: string;
  hidden?: Readonly<Record<string, string>>;
  fields?: readonly { name: string; label: string; type: 'password' | 'email'; autocomplete: string }[];
  intro?: string;
}

function form(f: Form): string {
  const hidden = Object.entries(f.hidden ?? {})
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join('');
  const fields = (f.fields ?? [])
    .map(
      (x) =>
        `<label>${escape(x.label)}<input type="${x.type}" name="${escape(x.name)}" autocomplete="${x.autocomplete}" required${
          x.type === 'password' ? ' minlength="8" maxlength="128"' : ' maxlength="254"'
        }></label>`,
    )
    .join('');
  const intro = f.intro ? `<p>${escape(f.intro)}</p>` : '';
  return `<form method="post" action="${escape(f.action)}">${intro}${hidden}${fields}<button type="submit">${escape(f.submit)}</button></form>`;
}

export function renderPage(page: Page): string {
  const message = page.message
    ? `<p class="message ${page.tone ?? 'ok'}" role="${page.tone === 'error' ? 'alert' : 'status'}">${escape(page.message)}</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(page.title)} · Kinoservice</title>
<link rel="stylesheet" href="/account/account.css">
</head>
<body>
<main>
<h1>${escape(page.title)}</h1>
${message}
${(page.forms ?? []).map(form).join('\n')}
</main>
</body>
</html>
`;
}

export const STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1c1c22}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:0 0 1rem}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font:inherit}
button{padding:.6rem 1.2rem;font:inherit;cursor:pointer}
form+form{margin-top:2rem;padding-top:1rem;border-top:1px solid #ddd}
.message{padding:.75rem;border-radius:4px}
.ok{background:#e6f4ea}
.error{background:#fce8e6}
`;
