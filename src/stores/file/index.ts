/**
 * `sessionbridge/stores/file`: sessions as files in Django's `SESSION_FILE_PATH`
 * (`django.contrib.sessions.backends.file`), readable and writable by Django and Node at the
 * same time.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { createFileStore } from "sessionbridge/stores/file";
 *
 * const store = createFileStore({
 *   directory: process.env.SESSION_FILE_PATH!,
 *   codec: new DjangoSessionCodec({ secret: process.env.SECRET_KEY! }),
 * });
 * ```
 */
export { FileSessionStore, createFileStore } from "./store.ts";
export type { FileStoreOptions } from "./store.ts";
export { fileExpiryAge } from "./expiry.ts";
export type { FileExpiryContext, IntExpiryRule } from "./expiry.ts";
export { sessionFileName, sessionKeyOfFile } from "./paths.ts";
