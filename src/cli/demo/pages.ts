/** The demo's HTML pages: small, dependency-free, every interpolated value escaped. */

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

/** What the home page shows. */
export interface HomeView {
  readonly visits: number;
  readonly username: string | null;
  readonly csrfToken: string;
}

/** `/`: the visit counter, the login state, and the way to `/backend`. */
export function homePage(view: HomeView): string {
  const who =
    view.username === null
      ? `<p id="who">You are not logged in. <a href="/login">Log in</a></p>`
      : `<p id="who">Logged in as <strong id="username">${escapeHtml(view.username)}</strong>.</p>
<form method="post" action="/logout"><input type="hidden" name="csrfmiddlewaretoken" value="${view.csrfToken}"><button type="submit" id="logout">Log out</button></form>`;
  return page(
    "sessionbridge demo",
    `<h1>sessionbridge demo</h1>
${who}
<p>You have visited this page <strong id="visits">${view.visits}</strong> time${view.visits === 1 ? "" : "s"}.</p>
<p>The JSON API at <a id="backend" href="/backend/session">/backend/session</a> is a separate app (Hono) that reads the same session; it requires login.</p>`,
  );
}

/** What the login page shows. */
export interface LoginView {
  readonly csrfToken: string;
  readonly next: string;
  readonly username: string;
  readonly error: string | null;
}

/** `/login`: Django's login form fields (`username`, `password`, `next`, CSRF token). */
export function loginPage(view: LoginView): string {
  return page(
    "Log in · sessionbridge",
    `<h1>Log in</h1>
${view.error === null ? "" : `<p id="error" role="alert">${escapeHtml(view.error)}</p>`}
<form method="post" action="/login">
<input type="hidden" name="csrfmiddlewaretoken" value="${view.csrfToken}">
<input type="hidden" name="next" value="${escapeHtml(view.next)}">
<p><label>Username <input name="username" id="username" autocomplete="username" value="${escapeHtml(view.username)}" required></label></p>
<p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit" id="submit">Log in</button></p>
</form>`,
  );
}
