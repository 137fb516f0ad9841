/**
 * The HTML of `serve` and `demo`: small, dependency-free, one stylesheet, every interpolated
 * value escaped. Plain forms and links, labelled fields and a visible focus ring, so the pages
 * work with a keyboard and a screen reader, and without JavaScript.
 */

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The one stylesheet: system fonts, readable line length, light and dark schemes. */
const STYLE = `
:root { color-scheme: light dark; --fg: #1d2327; --muted: #5b6770; --bg: #f6f7f9; --card: #fff;
  --line: #dde2e6; --accent: #0c4b33; --accent-fg: #fff; --warn: #a3261d; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8ecef; --muted: #a8b3bb; --bg: #14181b;
  --card: #1e2428; --line: #323b41; --accent: #44b78b; --accent-fg: #0b1f16; --warn: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header { background: var(--accent); color: var(--accent-fg); padding: 1rem 1.5rem; }
header h1 { margin: 0; font-size: 1.35rem; }
header p { margin: .25rem 0 0; opacity: .9; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
section { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: 1rem 1.25rem; }
section.wide { grid-column: 1 / -1; }
h2 { margin: 0 0 .5rem; font-size: 1.05rem; }
p { margin: .5rem 0; }
.muted { color: var(--muted); font-size: .92rem; }
.big { font-size: 2rem; font-weight: 700; }
code, pre { font: .9rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: .35rem;
  padding: .75rem; overflow-x: auto; margin: .5rem 0; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
input[type=text], input[type=password], input:not([type]) { width: 100%; padding: .55rem .6rem;
  font: inherit; border: 1px solid var(--line); border-radius: .35rem; background: var(--card);
  color: var(--fg); }
button, .button { display: inline-block; margin-top: .75rem; padding: .5rem 1rem; font: inherit;
  font-weight: 600; border: 0; border-radius: .35rem; background: var(--accent);
  color: var(--accent-fg); cursor: pointer; text-decoration: none; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
a { color: inherit; }
.error { color: var(--warn); font-weight: 600; }
.login { max-width: 24rem; margin: 2rem auto; display: block; }
`;

/** A whole page: the stylesheet, a header, and `body` inside `<main>`. */
export function layout(title: string, heading: string, tagline: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(tagline)}</p></header>
${body}
</body>
</html>
`;
}

/** What the login page shows. */
export interface LoginView {
  /** Where the form posts (`LOGIN_URL`). */
  readonly action: string;
  readonly csrfToken: string;
  readonly next: string;
  readonly username: string;
  readonly error: string | null;
  /** A line under the form (trusted HTML, never user input). */
  readonly hint?: string;
}

/** The login page: Django's login form fields (`username`, `password`, `next`, CSRF token). */
export function loginPage(view: LoginView): string {
  return layout(
    "Log in · sessionbridge",
    "Log in",
    "One login for the Django project and the Node services beside it.",
    `<main class="login"><section>
${view.error === null ? "" : `<p id="error" class="error" role="alert">${escapeHtml(view.error)}</p>`}
<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(view.csrfToken)}">
<input type="hidden" name="next" value="${escapeHtml(view.next)}">
<label for="username">Username</label>
<input name="username" id="username" autocomplete="username" value="${escapeHtml(view.username)}" required>
<label for="password">Password</label>
<input name="password" id="password" type="password" autocomplete="current-password" required>
<button type="submit" id="submit">Log in</button>
</form>
${view.hint === undefined ? "" : `<p class="muted" id="hint">${view.hint}</p>`}
</section></main>`,
  );
}

/** What the logout page shows. */
export interface LogoutView {
  readonly csrfToken: string;
  /** Who is logged in, or `null`. */
  readonly username: string | null;
}

/** The logout page: a button that POSTs `/logout` with the CSRF token. */
export function logoutPage(view: LogoutView): string {
  return layout(
    "Log out · sessionbridge",
    "Log out",
    "Ends the session here and in the Django project beside it.",
    `<main class="login"><section>
<p id="who">${view.username === null ? "You are not logged in." : `Logged in as <strong id="username">${escapeHtml(view.username)}</strong>.`}</p>
<form method="post" action="/logout">
<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(view.csrfToken)}">
<button type="submit" id="logout">Log out</button>
</form>
</section></main>`,
  );
}
