/**
 * `sessionbridge/stores/cached-db`: Django's `django.contrib.sessions.backends.cached_db`:
 * a database store behind a cache store, both shared with Django.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { createCachedDbStore } from "sessionbridge/stores/cached-db";
 * import { DjangoCacheStore } from "sessionbridge/stores/redis";
 * import { createSqlStore, openDatabaseUrl } from "sessionbridge/stores/sql";
 *
 * const codec = new DjangoSessionCodec({ secret: process.env.SECRET_KEY! });
 * const store = createCachedDbStore({
 *   db: createSqlStore({ database: await openDatabaseUrl(process.env.DATABASE_URL!), codec }),
 *   cache: new DjangoCacheStore({ client, engine: "cached_db" }),
 *   djangoVersion: "5.2",
 * });
 * ```
 */
export { CachedDbStore, createCachedDbStore, defaultCacheErrors } from "./store.ts";
export type { CacheErrorPolicy, CachedDbDatabase, CachedDbStoreOptions } from "./store.ts";
