/**
 * The session store on Django's `backends.file` (django-formats.md §3.4): one file per session
 * in `SESSION_FILE_PATH`, named `SESSION_COOKIE_NAME + key`, holding `SessionBase.encode(dict)`
 * as ASCII, shared with a running Django project.
 *
 * Writes go to a `<name>_out_…` temporary file in the same directory, renamed over the session
 * file (atomic: a reader sees the old or the new content, never a torn one). Creation first
 * makes an empty placeholder with `O_CREAT | O_EXCL`, so two creators of one key cannot both
 * win. Concurrent requests: the version of a session is the SHA-1 of its file's bytes, and
 * `saveIfUnchanged` checks it and renames the new file in under a lock per session file: a
 * promise chain in this process and a `<file>_lock` file made with `O_EXCL` across processes
 * (the new content is written into the lock file itself, which is then renamed over the
 * session file), so requests served by any number of Node processes on one directory never
 * lose each other's writes, and `delete` takes the same lock, so a logout never lands between
 * the check and the rename. Django's file engine locks nothing: a Django save (its rename) or
 * logout (its unlink) landing between our read of the file and our rename, two consecutive
 * synchronous system calls, is overwritten or undone; one landing anywhere else is seen and
 * merged (or, for a logout, honoured). Expiry is not stored in the file system: it is
 * `_session_expiry`, else the file's mtime plus `SESSION_COOKIE_AGE` (see `expiry.ts`); an
 * expired file is deleted when it is read.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { FileSessionStore } from "sessionbridge/stores/file";
 * const store = new FileSessionStore({
 *   directory: "/var/lib/django/sessions",
 *   codec: new DjangoSessionCodec({ secret: process.env.SECRET_KEY! }),
 * });
 * ```
 */
import { Buffer } from "node:buffer";
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  statSync,
  unlinkSync,
  type Stats,
} from "node:fs";
import { open, readdir, rename, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  ConfigurationError,
  InvalidArgumentError,
  MalformedError,
  SessionExistsError,
  TooLargeError,
  SessionMissingError,
  SessionStoreError,
} from "../../errors.ts";
import type {
  SaveOptions,
  SessionData,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  VersionedSessionData,
} from "../contract.ts";
import type { SessionDataCodec } from "../contract.ts";
import type { StoredSession, StoredSessionPage, WalkOptions } from "../contract.ts";
import { inspectEach, sortedPages } from "../walk.ts";
import { valueVersion } from "../../internal/value-version.ts";
import { DEFAULT_MAX_INFLATED_BYTES } from "../../codecs/zlib.ts";
import { fileExpiryAge, type IntExpiryRule } from "./expiry.ts";
import {
  checkFilePrefix,
  redactKey,
  sessionFileName,
  sessionKeyOfFile,
  tempFileName,
} from "./paths.ts";
import { ReportedOnce } from "../../internal/reported-once.ts";

/** Options of {@link FileSessionStore}. */
export interface FileStoreOptions {
  /**
   * `SESSION_FILE_PATH`: an existing directory. Default: the system temporary directory, as
   * Django's `tempfile.gettempdir()`.
   */
  readonly directory?: string;
  /** Usually a `DjangoSessionCodec` with the project's `SECRET_KEY`. */
  readonly codec: SessionDataCodec;
  /** `SESSION_COOKIE_NAME`, the file-name prefix; default `sessionid`. */
  readonly cookieName?: string;
  /** `SESSION_COOKIE_AGE` in seconds (expiry from the file's mtime); default 1209600. */
  readonly cookieAge?: number;
  /**
   * How an integer `_session_expiry` bounds a file: `"django"` (default) as Django does, where
   * a positive integer never expires the file on the server; `"from-mtime"` counts it from the
   * file's last write (stricter: such files expire for us before Django drops them).
   */
  readonly intExpiry?: IntExpiryRule;
  /** Where undecodable files are reported; default `console.warn`. */
  readonly logger?: StoreLogger;
  /** Clock in milliseconds, for tests; default `Date.now`. */
  readonly now?: () => number;
}

const DEFAULT_COOKIE_AGE = 1_209_600;
/** A lock file this old was left by a crashed process (a compare-and-set takes milliseconds). */
const LOCK_STALE_MS = 10_000;
/** How long a compare-and-set or a delete waits for a session file's lock. */
const LOCK_WAIT_MS = 5_000;
const TEMP_ATTEMPTS = 100;
/** The content of a lock file that installs nothing (a delete, a retirement). */
const EMPTY_FILE = new Uint8Array(0);
/** What Django's `decode` makes of an undecodable value: `{}`. */
const EMPTY: SessionData = new Map();

const consoleLogger: StoreLogger = {
  warn(message, detail) {
    console.warn(`sessionbridge: ${message}`, detail ?? "");
  },
};

/** A session file's lock while held (see `FileSessionStore.saveIfUnchanged`). */
interface HeldLock {
  /** The session file. */
  readonly file: string;
  /** The lock file. */
  readonly path: string;
  /** Set once the lock file was renamed over the session file: nothing is left to remove. */
  released: boolean;
}

/** What one read of a session file found. */
interface FileRead {
  readonly content: Buffer;
  readonly stats: Stats;
}

/**
 * Sessions as files in a directory shared with Django's `backends.file`.
 *
 * @example
 * ```ts
 * const store = new FileSessionStore({ directory: "/tmp/sessions", codec });
 * const data = await store.load(key);
 * const removed = await store.clearExpired();
 * ```
 */
export class FileSessionStore implements SessionStore {
  readonly name = "file";
  /** The absolute directory this store reads and writes. */
  readonly directory: string;
  readonly #prefix: string;
  readonly #codec: SessionDataCodec;
  readonly #maxBytes: number;
  readonly #cookieAge: number;
  readonly #intExpiry: IntExpiryRule;
  readonly #logger: StoreLogger;
  /** Undecodable records already logged (once per key). */
  readonly #reported = new ReportedOnce();
  readonly #now: () => number;
  /** The last pending compare-and-set per session file (see `saveIfUnchanged`). */
  readonly #locks = new Map<string, Promise<void>>();
  /** Changes this process made to a session file while operations on it were pending. */
  readonly #writes = new Map<string, number>();

  /** @throws {ConfigurationError} when the directory does not exist or the options are invalid. */
  constructor(options: FileStoreOptions) {
    this.directory = resolve(options.directory ?? tmpdir());
    this.#prefix = checkFilePrefix(options.cookieName ?? "sessionid");
    this.#codec = options.codec;
    this.#maxBytes = options.codec.maxValueBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    this.#cookieAge = options.cookieAge ?? DEFAULT_COOKIE_AGE;
    if (!Number.isInteger(this.#cookieAge) || this.#cookieAge <= 0) {
      throw new ConfigurationError("cookieAge must be a positive whole number of seconds");
    }
    this.#intExpiry = options.intExpiry ?? "django";
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
    // Django: "The session storage path %r doesn't exist" (ImproperlyConfigured), checked once.
    let isDirectory: boolean;
    try {
      isDirectory = statSync(this.directory).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new ConfigurationError(
        `The session storage path ${JSON.stringify(this.directory)} is not an existing directory`,
      );
    }
  }

  async load(key: string): Promise<SessionData | null> {
    const loaded = await this.loadVersioned(key);
    return loaded === null || loaded.undecodable ? null : loaded.data;
  }

  /**
   * `load`, with the SHA-1 of the file's bytes as the version. `latest` (the engine's reload
   * after a conflict) first lets this process's pending compare-and-sets on the file finish,
   * so the retry starts from the version they leave instead of one about to be replaced.
   */
  async loadVersioned(key: string, latest = false): Promise<VersionedSessionData | null> {
    const path = this.#pathOf(key);
    if (path === null) return null;
    if (latest) await this.#locks.get(path);
    const read = await this.#read(path, key);
    if (read === null) return null;
    const version = valueVersion(read.content);
    // Django: "Don't fail if there is no data in the session file. We may have opened the
    // empty placeholder file." An empty file is an empty session that keeps its key.
    if (read.content.length === 0) return { data: new Map(), version };
    const data = this.#decode(read.content, key);
    if (this.#expiryAge(data ?? EMPTY, read.stats) <= 0) {
      await this.#removeIfUnchanged(path, read.stats, key);
      return null;
    }
    // A live file that cannot be decoded here is never replaced (issue 18 #13).
    return data === null ? { data: new Map(), version, undecodable: true } : { data, version };
  }

  /**
   * Replaces the file only if its bytes still have the SHA-1 `expected`. The new content is
   * written into the session's lock file (`<file>_lock`, made with `O_CREAT | O_EXCL`, so
   * taking the lock and writing the temporary file are one step); then the file is read, its
   * SHA-1 compared, and the lock file renamed over it, which installs the new content and
   * releases the lock at once. The read and the rename are two consecutive system calls with
   * nothing in between (synchronous, a few microseconds for a session-sized file): the only
   * window in which a writer that takes no lock (Django) can land unseen. The expiry is the
   * file's mtime, as for `save`; an expiry already past removes the file instead.
   */
  async saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const path = this.#pathOf(key);
    if (path === null) throw new InvalidArgumentError("file session store: invalid session key");
    // A write of this process landing while this one waits its turn makes it stale: it then
    // conflicts with no I/O (at worst a needless reload, if that write left the same bytes).
    const seen = this.#writes.get(path) ?? 0;
    const stale = () => (this.#writes.get(path) ?? 0) !== seen;
    if (expiry.age <= 0) {
      // Already expired (a key cycle retiring the old file): removed, as a load would.
      return this.#locked(
        path,
        key,
        EMPTY_FILE,
        (lock) => {
          if (!this.#holdsSync(path, key, expected)) return null;
          this.#syncIo("delete", key, () => {
            unlinkSync(path);
          });
          this.#wrote(lock);
          return "";
        },
        () => (stale() ? null : undefined),
      );
    }
    const content = Buffer.from(this.#codec.encode(data), "latin1");
    return this.#locked(
      path,
      key,
      content,
      async (lock) => {
        if (!this.#holdsSync(path, key, expected)) return null;
        try {
          await rename(lock.path, path);
        } catch (err) {
          throw this.#ioError("write", err, key);
        }
        // Released by the rename: another holder may own the name from now on.
        lock.released = true;
        this.#wrote(lock);
        return valueVersion(content);
      },
      () => (stale() ? null : undefined),
    );
  }

  /** Counts a change of `lock`'s session file made by this process (see `saveIfUnchanged`). */
  #wrote(lock: HeldLock): void {
    this.#writes.set(lock.file, (this.#writes.get(lock.file) ?? 0) + 1);
  }

  /**
   * Whether the session file's bytes have the SHA-1 `expected`, read synchronously (see
   * `saveIfUnchanged`); a missing file does not.
   */
  #holdsSync(path: string, key: string, expected: string): boolean {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.#ioError("read", err, key);
    }
    try {
      const { size } = fstatSync(fd);
      // Past the bound, the first bytes over it tell a rewrite apart, as `#read` does.
      const content = Buffer.alloc(Math.min(size, this.#maxBytes + 1));
      const bytesRead = readSync(fd, content, 0, content.length, 0);
      return valueVersion(content.subarray(0, bytesRead)) === expected;
    } catch (err) {
      throw this.#ioError("read", err, key);
    } finally {
      closeSync(fd);
    }
  }

  /** Runs a synchronous file operation, failing as the asynchronous ones do. */
  #syncIo(action: string, key: string, operation: () => void): void {
    try {
      operation();
    } catch (err) {
      throw this.#ioError(action, err, key);
    }
  }

  /**
   * Runs `action` after every earlier one on `path` in this process settled, holding the
   * session's lock file (`<file>_lock` with `content`, see {@link FileSessionStore.saveIfUnchanged})
   * so that other processes using this store (another Node, a second worker) wait too.
   * `action` gets the lock file; if it renames it away, it sets `released`. When it is this
   * call's turn, a result from `skip` (other than `undefined`) is taken instead, with no I/O.
   */
  async #locked<R>(
    path: string,
    key: string,
    content: Uint8Array,
    action: (lock: HeldLock) => R | Promise<R>,
    skip: () => R | undefined = () => undefined,
  ): Promise<R> {
    const before = this.#locks.get(path) ?? Promise.resolve();
    const run = before.then(() => skip() ?? this.#withLockFile(path, key, content, action));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(path, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(path) === settled) {
        this.#locks.delete(path);
        this.#writes.delete(path);
      }
    }
  }

  /**
   * Holds `<path>_lock` (created holding `content`, mode 0600) while `action` runs, and removes
   * it after unless `action` renamed it away (and said so: `released`). A lock file older than {@link LOCK_STALE_MS} is
   * one a crashed process left behind, and is removed; waiting longer than
   * {@link LOCK_WAIT_MS} fails with `SessionStoreError`. Django skips the name (its `_` is no
   * key character), and so do `walk` and `clearExpired`.
   */
  async #withLockFile<R>(
    path: string,
    key: string,
    content: Uint8Array,
    action: (lock: HeldLock) => R | Promise<R>,
  ): Promise<R> {
    const lock = `${path}_lock`;
    const started = Date.now();
    for (let wait = 1; ; wait = Math.min(wait * 2, 16)) {
      if (await this.#createLock(lock, key, content)) break;
      const held = await stat(lock).catch(() => null);
      if (held !== null && Date.now() - held.mtimeMs > LOCK_STALE_MS) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw new SessionStoreError("file session store: a session file stayed locked");
      }
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
    const held: HeldLock = { file: path, path: lock, released: false };
    try {
      return await action(held);
    } finally {
      if (!held.released) await unlink(lock).catch(() => undefined);
    }
  }

  /** Creates `lock` with `content`; `false` when another holder has it. */
  async #createLock(lock: string, key: string, content: Uint8Array): Promise<boolean> {
    let handle;
    try {
      handle = await open(lock, "wx", 0o600);
    } catch (err) {
      if (errorCode(err) === "EEXIST") return false;
      throw this.#ioError("lock", err, key);
    }
    try {
      try {
        if (content.length > 0) await handle.writeFile(content);
      } finally {
        await handle.close();
      }
    } catch (err) {
      // This process made it: a lock file with half the content is not left behind.
      await unlink(lock).catch(() => undefined);
      throw this.#ioError("write", err, key);
    }
    return true;
  }

  async exists(key: string): Promise<boolean> {
    const path = this.#pathOf(key);
    if (path === null) return false;
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.#ioError("check", err, key);
    }
  }

  async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    const path = this.#pathOf(key);
    if (path === null) throw new InvalidArgumentError("file session store: invalid session key");
    // Encode before touching the directory: a value the serializer cannot hold leaves no file.
    const content = Buffer.from(this.#codec.encode(data), "latin1");
    await this.#claim(path, key, options.mustCreate);
    try {
      await this.#replace(path, key, content);
    } catch (err) {
      // Unlike Django, a creation that could not write its content does not leave the empty
      // placeholder behind (it would load as an empty session until deleted by hand).
      if (options.mustCreate) await this.#removeIfEmpty(path);
      throw err;
    }
  }

  async #removeIfEmpty(path: string): Promise<void> {
    try {
      if ((await stat(path)).size === 0) await unlink(path);
    } catch {
      // Best effort: the write error is what the caller needs to see.
    }
  }

  /**
   * Removes the file, under the lock `saveIfUnchanged` holds, so a logout can never land
   * between a compare-and-set's check and its rename (which would bring the file back).
   */
  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    if (path === null) return;
    await this.#locked(path, key, EMPTY_FILE, async (lock) => {
      await this.#unlink(path, key);
      this.#wrote(lock);
    });
  }

  async #unlink(path: string, key: string): Promise<void> {
    try {
      await unlink(path);
    } catch (err) {
      if (!isMissing(err)) throw this.#ioError("delete", err, key);
    }
  }

  /**
   * Django's `clear_expired`: every file named `<cookie name><key>` is read and deleted when
   * expired (a temporary `_out_` file or an empty placeholder is left alone).
   */
  async clearExpired(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      throw this.#ioError("list", err, "");
    }
    let removed = 0;
    for (const name of names) {
      const key = sessionKeyOfFile(this.#prefix, name);
      if (key === null) continue;
      const path = join(this.directory, name);
      const read = await this.#read(path, key);
      if (read === null || read.content.length === 0) continue;
      // An undecodable file counts as `{}` (Django's decode), so its mtime decides.
      const data = this.#decode(read.content, key) ?? EMPTY;
      if (this.#expiryAge(data, read.stats) > 0) continue;
      if (await this.#removeIfUnchanged(path, read.stats, key)) removed++;
    }
    return removed;
  }

  /**
   * Every session file in name order (only names are held, never contents), resumable after a
   * page's last file name; expired files are included unless `activeOnly`.
   */
  async *walk(options: WalkOptions = {}): AsyncIterable<StoredSessionPage> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      throw this.#ioError("list", err, "");
    }
    const sessionNames = names.filter((name) => sessionKeyOfFile(this.#prefix, name) !== null);
    yield* sortedPages(
      sessionNames,
      options,
      (name) => this.inspect(sessionKeyOfFile(this.#prefix, name)!),
      this.#now,
    );
  }

  /**
   * The file's session and when it expires (its expiry setting, else its mtime plus
   * `cookieAge`), expired or not; undecodable content is `null` data (reported, as `load`).
   */
  async inspect(key: string): Promise<StoredSession | null> {
    const path = this.#pathOf(key);
    if (path === null) return null;
    const read = await this.#read(path, key);
    if (read === null) return null;
    // An empty file is an empty session, as `load` reads it (a creation's placeholder).
    const data: SessionData | null =
      read.content.length === 0 ? new Map() : this.#decode(read.content, key);
    const age = this.#expiryAge(data ?? EMPTY, read.stats);
    return { key, data, expireDate: new Date(this.#now() + age * 1000) };
  }

  /**
   * {@link FileSessionStore.inspect} for many keys, a bounded number of files open at once
   * (files have no batched read); absent keys are missing from the map.
   */
  inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    return inspectEach(keys, (key) => this.inspect(key));
  }

  #pathOf(key: string): string | null {
    const name = sessionFileName(this.#prefix, key);
    return name === null ? null : join(this.directory, name);
  }

  /** The content and the stats of one open file (so both describe the same file). */
  async #read(path: string, key: string): Promise<FileRead | null> {
    let handle;
    try {
      handle = await open(path, "r");
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.#ioError("read", err, key);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return null;
      if (stats.size <= this.#maxBytes) return { stats, content: await handle.readFile() };
      // Never read a file past the bound: the first bytes over it are enough to refuse it
      // (#decode), and they still tell a rewrite apart from the file that was read.
      const head = Buffer.alloc(this.#maxBytes + 1);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return { stats, content: head.subarray(0, bytesRead) };
    } catch (err) {
      throw this.#ioError("read", err, key);
    } finally {
      await handle.close();
    }
  }

  #decode(content: Buffer, key: string): SessionData | null {
    try {
      if (content.length > this.#maxBytes) {
        throw new TooLargeError(`Session file exceeds ${String(this.#maxBytes)} bytes`);
      }
      const text = content.toString("latin1");
      // Django opens the file with `encoding="ascii"`.
      if (content.some((byte) => byte > 0x7f))
        throw new MalformedError("Session file is not ASCII");
      return this.#codec.decode(text);
    } catch (err) {
      // Django logs and starts an empty session; the data and the key stay out of the log, and
      // a file read on every request is logged once.
      const reason = errorReason(err);
      if (this.#reported.first(key, reason))
        this.#logger.warn("Ignoring a session file that cannot be decoded", {
          store: this.name,
          reason,
          key: redactKey(key),
        });
      return null;
    }
  }

  #expiryAge(data: SessionData, stats: Stats): number {
    return fileExpiryAge(data, {
      mtimeMs: stats.mtimeMs,
      nowMs: this.#now(),
      cookieAge: this.#cookieAge,
      intExpiry: this.#intExpiry,
    });
  }

  /**
   * Deletes an expired file unless it was replaced since it was read (a concurrent save
   * renames a new file in: other inode or mtime), which Django does not check.
   */
  async #removeIfUnchanged(path: string, read: Stats, key: string): Promise<boolean> {
    try {
      const now = await stat(path);
      if (now.ino !== read.ino || now.mtimeMs !== read.mtimeMs) return false;
      await unlink(path);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.#ioError("delete", err, key);
    }
  }

  /**
   * Django's first step of `save`: `os.open(name, O_WRONLY [| O_CREAT | O_EXCL])`: creation
   * makes the empty placeholder and fails when the file exists (`CreateError`); an update
   * fails when the file is gone (`UpdateError`).
   */
  async #claim(path: string, key: string, mustCreate: boolean): Promise<void> {
    const flags = mustCreate
      ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
      : constants.O_WRONLY;
    try {
      const handle = await open(path, flags, 0o600);
      await handle.close();
    } catch (err) {
      if (mustCreate && errorCode(err) === "EEXIST") throw new SessionExistsError();
      if (!mustCreate && isMissing(err)) throw new SessionMissingError();
      throw this.#ioError("write", err, key);
    }
  }

  /** Writes a `<name>_out_…` temporary file (mode 0600, as `mkstemp`) and renames it over `path`. */
  async #replace(path: string, key: string, content: Buffer): Promise<void> {
    let temp = "";
    let handle;
    for (let attempt = 0; handle === undefined; attempt++) {
      temp = join(this.directory, tempFileName(`${this.#prefix}${key}`));
      try {
        handle = await open(temp, "wx", 0o600);
      } catch (err) {
        if (errorCode(err) !== "EEXIST" || attempt + 1 >= TEMP_ATTEMPTS) {
          throw this.#ioError("write", err, key);
        }
      }
    }
    let renamed = false;
    try {
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      renamed = true;
    } catch (err) {
      throw this.#ioError("write", err, key);
    } finally {
      if (!renamed) await unlink(temp).catch(() => undefined);
    }
  }

  /**
   * A `SessionStoreError` for a failed file operation. The cause keeps the error code and
   * system call, but its message has the key shortened: file paths contain the full key.
   */
  #ioError(action: string, err: unknown, key: string): SessionStoreError {
    const code = errorCode(err) ?? "unknown error";
    return new SessionStoreError(`file session store: cannot ${action} a session file (${code})`, {
      cause: redactedCause(err, key),
    });
  }
}

/**
 * Creates a {@link FileSessionStore}.
 *
 * @example
 * ```ts
 * const store = createFileStore({ directory: process.env.SESSION_FILE_PATH!, codec });
 * ```
 */
export function createFileStore(options: FileStoreOptions): FileSessionStore {
  return new FileSessionStore(options);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  return typeof err.code === "string" ? err.code : undefined;
}

/** Not there, or not a session file: `ENOENT`, a path component that is a file, a directory. */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR" || code === "ENAMETOOLONG";
}

function errorReason(err: unknown): string {
  if (err instanceof Error && "code" in err && typeof err.code === "string") return err.code;
  return err instanceof Error ? err.name : "unknown";
}

/** A copy of a file-system error with the session key shortened in its message and path. */
function redactedCause(err: unknown, key: string): Error {
  const hide = (text: string): string => (key === "" ? text : text.replaceAll(key, redactKey(key)));
  const message = err instanceof Error ? err.message : String(err);
  const cause = new Error(hide(message));
  const source = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  for (const field of ["code", "errno", "syscall", "path", "dest"]) {
    const value = source[field];
    if (typeof value === "string") Object.assign(cause, { [field]: hide(value) });
    else if (typeof value === "number") Object.assign(cause, { [field]: value });
  }
  return cause;
}
