// The Web-standard suite (test/runtime/portability.test.ts): one Worker-style module, bundled
// by esbuild with each runtime's export conditions and run there unchanged. It takes the
// fixtures real Django, Flask and Starlette made, as the JSON body of a POST, and answers what
// sessionbridge made of them; the test compares, and has the Python side verify what we wrote.
import { SignedCookieStore } from "sessionbridge/stores/signed-cookies";
import { FlaskSessionCodec, flaskSessionPolicy } from "sessionbridge/flask";
import { StarletteSessionCodec } from "sessionbridge/starlette";
import { withSessions } from "sessionbridge/web";
import type { SessionData } from "sessionbridge";

export interface Fixtures {
  readonly secret: string;
  readonly data: Record<string, unknown>;
  readonly django: string;
  readonly flask: string;
  readonly flaskLarge: string;
  readonly starlette: string;
}

/** A session zlib shortens a lot: Django's signed_cookies store compresses it. */
export const COMPRESSIBLE: SessionData = new Map([
  ["cart", Array.from({ length: 40 }, () => "book")],
]);

/** A signed value with its last signature character changed. */
function tamper(value: string): string {
  const last = value.at(-1) === "A" ? "B" : "A";
  return value.slice(0, -1) + last;
}

/** A session's data (a Map, nested Maps) as JSON-ready objects. */
function plain(value: unknown): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  }
  if (typeof value === "bigint") return String(value);
  return Array.isArray(value) ? value.map(plain) : value;
}

/** What `fn` returns (as {@link plain}), or the name of what it throws. */
function attempt(fn: () => unknown): unknown {
  try {
    return plain(fn());
  } catch (error) {
    return { threw: (error as Error).name };
  }
}

async function suite(f: Fixtures, runtime: string): Promise<Record<string, unknown>> {
  const data = new Map(Object.entries(f.data)) as SessionData;
  const store = new SignedCookieStore({ secret: f.secret });
  const flask = new FlaskSessionCodec({ secretKey: f.secret });
  const starlette = new StarletteSessionCodec({ secretKey: f.secret });
  const handler = withSessions(
    { policy: flaskSessionPolicy({ secretKey: f.secret, flaskVersion: "3.1" }) },
    async (_request, session) => {
      const user = await session.get("user");
      await session.set("visited_by", runtime);
      return Response.json({ user });
    },
  );
  const ask = (cookie: string) =>
    handler(new Request("http://app.test/", { headers: { Cookie: `session=${cookie}` } }));
  const shared = await ask(f.flask);
  const tampered = await ask(tamper(f.flask));
  return {
    django: {
      decoded: plain(await store.load(f.django)),
      tampered: plain(await store.load(tamper(f.django))),
      encoded: store.encodeKey(data),
      // Django's compress=True on a compressible session, as the engine saves it (the runtime's
      // CompressionStream off Node).
      compressed: await store.encodeKeyAsync(COMPRESSIBLE),
    },
    flask: {
      decoded: plain(flask.decode(f.flask)),
      large: [...flask.decode(f.flaskLarge).keys()].sort(),
      tampered: attempt(() => flask.decode(tamper(f.flask))),
      encoded: flask.encode(data),
    },
    starlette: {
      decoded: plain(starlette.decode(f.starlette)),
      tampered: attempt(() => starlette.decode(tamper(f.starlette))),
      encoded: starlette.encode(data),
    },
    handler: {
      status: shared.status,
      body: await shared.json(),
      setCookie: shared.headers.get("Set-Cookie"),
      tamperedBody: await tampered.json(),
    },
  };
}

/** Names the runtime this runs on, from what each one alone has. */
function runtimeName(): string {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Bun !== "undefined") return "bun";
  if (typeof g.Deno !== "undefined") return "deno";
  if (typeof g.EdgeRuntime !== "undefined") return "edge-runtime";
  const nav = g.navigator as { userAgent?: string } | undefined;
  if (nav?.userAgent === "Cloudflare-Workers") {
    return "workerd";
  }
  return "node";
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const runtime = runtimeName();
      // JSON.parse here, not request.json(): the edge-runtime package parses bodies in its host
      // realm, whose objects are not plain objects of this one.
      const result = await suite(JSON.parse(await request.text()) as Fixtures, runtime);
      return Response.json({ runtime, hasNodeBuffer: typeof globalThis.Buffer, ...result });
    } catch (error) {
      return Response.json({ error: String((error as Error).stack ?? error) }, { status: 500 });
    }
  },
};
