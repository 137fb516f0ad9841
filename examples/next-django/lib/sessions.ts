// One configuration for the whole app: Django's sessions in Redis (django-redis, the cache
// engine), Django's users in the shared database, Django's login page for anonymous visitors.
import { createClient } from "redis";
import type { DjangoVersion } from "sessionbridge";
import { DjangoUserSource } from "sessionbridge/auth";
import { createNextSessions } from "sessionbridge/next";
import { DjangoCacheStore } from "sessionbridge/stores/redis";
import { openDatabaseUrl } from "sessionbridge/stores/sql";

const DJANGO_URL = process.env.DJANGO_URL ?? "http://127.0.0.1:8000";

async function configure() {
  const client = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0" });
  await client.connect();
  const database = await openDatabaseUrl(
    process.env.DATABASE_URL ?? "postgres://127.0.0.1/next_django",
  );
  // The Django beside it ("5.2", "6.1", …): what Node writes depends on it. Missing, the
  // library stops with an error naming the accepted versions.
  const djangoVersion = process.env.DJANGO_VERSION as DjangoVersion;
  return createNextSessions<{ cart: string[] }>({
    store: new DjangoCacheStore({ client, keyPrefix: "next-django" }),
    djangoVersion,
    auth: {
      users: new DjangoUserSource({ database }),
      secretKey: process.env.SECRET_KEY!,
      djangoVersion,
    },
    loginUrl: `${DJANGO_URL}/accounts/login/`,
    djangoUrl: DJANGO_URL,
  });
}

// One client and one pool per server process (module instances may be evaluated more than once).
const shared = globalThis as { nextDjangoSessions?: ReturnType<typeof configure> };
export function sessions() {
  return (shared.nextDjangoSessions ??= configure());
}
