/**
 * The demo's home page (`/`), served by the node:http adapter: a visit counter in the session,
 * who is logged in, the same session read by the Hono API at `/backend` (fetched by the page and
 * shown as it answers), and what a Django project beside it would set to share it all.
 */
import type { ServerResponse } from "node:http";
import { getSession, type RequestWithSession } from "../../adapters/node/index.ts";
import type { AuthConfig } from "../../auth/config.ts";
import { createRequestAuth } from "../../auth/request-auth.ts";
import type { DjangoVersion } from "../../codecs/django/version.ts";
import { sessionCsrf } from "../serve/auth-app.ts";
import { escapeHtml, layout } from "../serve/pages.ts";

type DemoShape = { visits: number };

/** What the demo says about where it keeps things (never the secret itself). */
export interface DemoFacts {
  /** The session store, as `serve` prints it (`db (sqlite:…)`, `cache (redis://…)`). */
  readonly store: string;
  /** The Django version whose rules are followed. */
  readonly djangoVersion: DjangoVersion;
  /** Django `DATABASES` for the same users and sessions, as Python, or `null` when not SQL. */
  readonly djangoDatabases: string | null;
  /** Django's `SESSION_ENGINE` for the same store. */
  readonly djangoSessionEngine: string;
  /** Where the secret comes from (`SECRET_KEY`, or the file it was generated into). */
  readonly secretSource: string;
  /** `LOGIN_URL`. */
  readonly loginUrl: string;
}

/** What the page shows for one request. */
interface HomeView {
  readonly visits: number;
  readonly username: string | null;
  readonly csrfToken: string;
  readonly sessionKey: string | null;
  readonly facts: DemoFacts;
}

/** The first characters of a session key: enough to see it change at login, useless to replay. */
function keyHint(key: string | null): string {
  return key === null ? "new (its key is made as this page is sent)" : `${key.slice(0, 6)}…`;
}

function homePage(view: HomeView): string {
  const { facts } = view;
  const who =
    view.username === null
      ? `<p id="who">You are not logged in.</p>
<p><a class="button" id="login" href="${escapeHtml(facts.loginUrl)}">Log in</a></p>
<p class="muted">Logging in changes the session's key (Django's <code>cycle_key()</code>, against
session fixation) and keeps its data: the visit count goes on.</p>`
      : `<p id="who">Logged in as <strong id="username">${escapeHtml(view.username)}</strong>.</p>
<form method="post" action="/logout"><input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(view.csrfToken)}"><button type="submit" id="logout">Log out</button></form>`;
  const django = [
    "# settings.py of a Django project beside this demo",
    `SECRET_KEY = ...  # ${facts.secretSource}`,
    ...(facts.djangoDatabases === null ? [] : [`DATABASES = ${facts.djangoDatabases}`]),
    `SESSION_ENGINE = "${facts.djangoSessionEngine}"`,
  ].join("\n");
  return layout(
    "sessionbridge demo",
    "sessionbridge demo",
    `Two Node apps sharing one Django session: this page (node:http) and a JSON API (Hono, at /backend). Sessions: ${facts.store}, Django ${facts.djangoVersion} rules.`,
    `<main>
<section aria-labelledby="who-title"><h2 id="who-title">Who you are</h2>
${who}
</section>
<section aria-labelledby="visits-title"><h2 id="visits-title">This session</h2>
<p>Visits to this page: <span class="big" id="visits">${view.visits}</span></p>
<p class="muted">Session key: <code id="session-key">${escapeHtml(keyHint(view.sessionKey))}</code></p>
</section>
<section class="wide" aria-labelledby="api-title"><h2 id="api-title">The API reads the same session</h2>
<p>This page asked <a id="backend" href="/backend/session"><code>GET /backend/session</code></a>, an app written with the Hono adapter, mounted beside this one. It answered:</p>
<pre id="api" aria-live="polite">…</pre>
<p class="muted">It requires login: anonymous visitors get <code>401</code> and a JSON reason.</p>
</section>
<section class="wide" aria-labelledby="django-title"><h2 id="django-title">A Django project beside it</h2>
<p>Django reads and writes these very sessions and users: a login there is a login here, and the other way round. Point it at the same place with the same key:</p>
<pre id="django">${escapeHtml(django)}</pre>
<p class="muted">The session data is Django's own format (signed JSON, or pickle for django-redis), so <code>request.session["visits"]</code> in a Django view is this counter.</p>
</section>
</main>
<script>
fetch("/backend/session", { headers: { Accept: "application/json" } })
  .then(async (r) => { document.getElementById("api").textContent = r.status + " " + r.statusText + "\\n" + JSON.stringify(await r.json(), null, 2); })
  .catch((e) => { document.getElementById("api").textContent = String(e); });
</script>`,
  );
}

/** The demo's `/` handler (404 for any other path the auth app does not serve). */
export function demoHome(
  auth: AuthConfig,
  facts: DemoFacts,
): (req: RequestWithSession, res: ServerResponse) => Promise<void> {
  const csrf = sessionCsrf(facts.djangoVersion);
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.statusCode = 404;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("Not found\n");
      return;
    }
    const session = getSession<DemoShape>(req);
    const requestAuth = createRequestAuth(session, auth);
    const visits = ((await session.get("visits")) ?? 0) + 1;
    await session.set("visits", visits);
    const user = await requestAuth.user();
    res.statusCode = 200;
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.end(
      homePage({
        visits,
        username: user.isAuthenticated ? user.username : null,
        csrfToken: user.isAuthenticated
          ? await (await csrf.open(undefined, getSession(req))).token()
          : "",
        sessionKey: session.key,
        facts,
      }),
    );
  };
}
