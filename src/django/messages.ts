/**
 * Django's messages framework (`django.contrib.messages`): the flash messages a view adds and
 * the next page shows, in the three storages Django ships, byte-compatible both ways.
 *
 * | storage      | Django's `MESSAGE_STORAGE`                              | where                          |
 * | ------------ | ------------------------------------------------------- | ------------------------------ |
 * | `"session"`  | `django.contrib.messages.storage.session.SessionStorage` | `_messages` in the session     |
 * | `"cookie"`   | `django.contrib.messages.storage.cookie.CookieStorage`   | the signed `messages` cookie   |
 * | `"fallback"` | `…storage.fallback.FallbackStorage` (Django's default)   | the cookie, overflow in session |
 *
 * A message is `[ "__json_message", is_safedata, level, message, extra_tags? ]` in JSON
 * (`MessageEncoder`). The session keeps that JSON as a string (default separators); the cookie
 * is the compact JSON list signed by `get_cookie_signer(salt="django.contrib.messages")`
 * (`SIGNING_BACKEND`, a `TimestampSigner`, keyed `"django.http.cookies" + SECRET_KEY`;
 * `sign_object(compress=True)`; the age is not checked),
 * at most 2048 bytes, with the `"__messagesnotfinished__"` sentinel when the rest went on to the
 * session. Reading and writing follow `BaseStorage`: listing the messages marks them used, and
 * `commit()` stores what is left (Django's `update(response)`).
 */
import { Buffer } from "#runtime";
import { parse as parseCookies, serialize as serializeCookie } from "cookie";
import {
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoUnsignBytes,
  type Secret,
} from "../codecs/django/signing.ts";
import { COMPACT_SEPARATORS, dumpsPythonJson } from "../codecs/python-json.ts";
import type { PyValue } from "../codecs/python-values.ts";
import type { Session } from "../engine/session.ts";
import { ConfigurationError, MalformedError, SessionBridgeError } from "../errors.ts";

/**
 * Django's message levels (`django.contrib.messages.constants`).
 *
 * @example
 * ```ts
 * import { MESSAGE_LEVELS } from "sessionbridge/django";
 * box.add(MESSAGE_LEVELS.SUCCESS, "Profile saved.");
 * ```
 */
export const MESSAGE_LEVELS = {
  DEBUG: 10,
  INFO: 20,
  SUCCESS: 25,
  WARNING: 30,
  ERROR: 40,
} as const;

/** Django's `DEFAULT_TAGS`: level → tag, extended or overridden by `MESSAGE_TAGS`. */
const DEFAULT_TAGS: Readonly<Record<number, string>> = {
  10: "debug",
  20: "info",
  25: "success",
  30: "warning",
  40: "error",
};

/** One message (`django.contrib.messages.storage.base.Message`). */
export interface DjangoMessage {
  /** The level, e.g. `MESSAGE_LEVELS.SUCCESS` (25). */
  readonly level: number;
  /** The text. */
  readonly message: string;
  /** `extra_tags`: Django's `add_message` passes `""` by default; `null` is Python's `None`. */
  readonly extraTags: string | null;
  /** Whether the text was `mark_safe`d (Django renders it without escaping). */
  readonly safe: boolean;
}

/** The sentinel `MessageEncoder` puts first in a serialized message. */
const MESSAGE_KEY = "__json_message";
/** `CookieStorage.not_finished`: the rest of the messages are in the next storage. */
const NOT_FINISHED = "__messagesnotfinished__";
/** `SessionStorage.session_key`. */
export const MESSAGES_SESSION_KEY = "_messages";
/** `CookieStorage.key_salt`. */
const COOKIE_SALT = "django.contrib.messages";
/** `CookieStorage.max_cookie_size`. */
const MAX_COOKIE_SIZE = 2048;

/**
 * `Message.tags`: `extra_tags` then the level's tag (`MESSAGE_TAGS` over Django's defaults),
 * space-separated, empties left out.
 *
 * @example
 * ```ts
 * messageTags({ level: 25, message: "Saved", extraTags: "big", safe: false }); // "big success"
 * ```
 */
export function messageTags(
  message: DjangoMessage,
  tags: Readonly<Record<number, string>> = {},
): string {
  const levelTag = tags[message.level] ?? DEFAULT_TAGS[message.level] ?? "";
  return [message.extraTags, levelTag].filter((t) => t).join(" ");
}

function toPython(message: DjangoMessage): PyValue {
  const out: PyValue[] = [MESSAGE_KEY, message.safe ? 1 : 0, message.level, message.message];
  if (message.extraTags !== null) out.push(message.extraTags);
  return out;
}

/** `MessageDecoder.process_messages` over parsed JSON: the messages, and whether the sentinel ended it. */
function fromJson(value: unknown): { messages: DjangoMessage[]; notFinished: boolean } {
  if (!Array.isArray(value))
    throw new MalformedError("Django messages: messages are not a JSON list");
  const messages: DjangoMessage[] = [];
  let notFinished = false;
  value.forEach((item: unknown, index) => {
    if (item === NOT_FINISHED && index === value.length - 1) {
      notFinished = true;
      return;
    }
    if (!Array.isArray(item) || item[0] !== MESSAGE_KEY || item.length < 4 || item.length > 5) {
      throw new MalformedError("Django messages: an item is not a serialized Message");
    }
    const [, safe, level, text, extra] = item as unknown[];
    if (typeof level !== "number" || !Number.isInteger(level) || typeof text !== "string") {
      throw new MalformedError("Django messages: a message has no integer level or no text");
    }
    if (extra !== undefined && extra !== null && typeof extra !== "string") {
      throw new MalformedError("Django messages: a message's extra_tags is not a string");
    }
    messages.push({ level, message: text, extraTags: extra ?? null, safe: Boolean(safe) });
  });
  return { messages, notFinished };
}

/**
 * `SessionStorage.serialize_messages`: the JSON text Django keeps under `_messages`.
 *
 * @example
 * ```ts
 * await session.set("_messages", encodeSessionMessages([{ level: 25, message: "Saved", extraTags: "", safe: false }]));
 * // '[["__json_message", 0, 25, "Saved", ""]]'
 * ```
 */
export function encodeSessionMessages(messages: readonly DjangoMessage[]): string {
  return dumpsPythonJson(messages.map(toPython));
}

/**
 * `SessionStorage.deserialize_messages`: the messages in a `_messages` session value.
 *
 * @throws {MalformedError} when the text is not Django's message JSON.
 * @example
 * ```ts
 * const text = await session.get("_messages");
 * const messages = typeof text === "string" ? decodeSessionMessages(text) : [];
 * ```
 */
export function decodeSessionMessages(text: string): DjangoMessage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedError("Django messages: not JSON");
  }
  return fromJson(parsed).messages;
}

/** Settings of {@link DjangoMessageCookie}: the ones `CookieStorage` reads. */
export interface DjangoMessageCookieOptions {
  /** `SECRET_KEY`. */
  readonly secret: Secret;
  /** `SECRET_KEY_FALLBACKS` (verify only). */
  readonly fallbackSecrets?: readonly Secret[];
  /** `SESSION_COOKIE_DOMAIN` (Django sets the messages cookie with the session cookie's policy). */
  readonly domain?: string;
  /** `SESSION_COOKIE_SECURE`. */
  readonly secure?: boolean;
  /** `SESSION_COOKIE_HTTPONLY` (default `true`). */
  readonly httpOnly?: boolean;
  /** `SESSION_COOKIE_SAMESITE` (default `"Lax"`; `false` for none). */
  readonly sameSite?: "Lax" | "Strict" | "None" | false;
}

const cookieKey = (secret: Secret): Buffer =>
  Buffer.concat([
    Buffer.from("django.http.cookies", "utf8"),
    typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret),
  ]);

/**
 * The `messages` cookie of `CookieStorage`: sign, verify, and the `Set-Cookie` header.
 *
 * @example
 * ```ts
 * import { DjangoMessageCookie } from "sessionbridge/django";
 * const cookie = new DjangoMessageCookie({ secret: process.env.SECRET_KEY! });
 * const value = cookie.encode([{ level: 20, message: "Hello", extraTags: "", safe: false }]);
 * cookie.decode(value); // { messages: [...], allRetrieved: true }
 * ```
 */
export class DjangoMessageCookie {
  /** `CookieStorage.cookie_name`. */
  static readonly cookieName = "messages";
  readonly #signer: DjangoTimestampSigner;
  readonly #options: DjangoMessageCookieOptions;

  /** @throws {ConfigurationError} for a missing secret. */
  constructor(options: DjangoMessageCookieOptions) {
    this.#options = options;
    this.#signer = new DjangoTimestampSigner({
      secret: cookieKey(options.secret),
      fallbackSecrets: (options.fallbackSecrets ?? []).map(cookieKey),
      salt: COOKIE_SALT,
    });
  }

  /** `CookieStorage._encode_parts`: the signed cookie value (`notFinished` adds the sentinel). */
  encode(messages: readonly DjangoMessage[], notFinished = false): string {
    const parts: PyValue[] = messages.map(toPython);
    if (notFinished) parts.push(NOT_FINISHED);
    const json = dumpsPythonJson(parts, { separators: COMPACT_SEPARATORS });
    return djangoSignBytes(this.#signer, Buffer.from(json, "latin1"), { compress: true });
  }

  /**
   * `CookieStorage._get`: the messages and whether they are all (no sentinel), or `null` for a
   * value that fails the signature or is not message JSON (Django drops it as used).
   */
  decode(value: string): { messages: DjangoMessage[]; allRetrieved: boolean } | null {
    try {
      const bytes = djangoUnsignBytes(this.#signer, value, { maxBytes: 1 << 20 });
      const { messages, notFinished } = fromJson(JSON.parse(bytes.toString("latin1")));
      return { messages, allRetrieved: !notFinished };
    } catch (err) {
      if (err instanceof SessionBridgeError || err instanceof SyntaxError) return null;
      throw err;
    }
  }

  /**
   * `CookieStorage._store`: the `Set-Cookie` header for these messages (a deletion when there
   * are none) and the messages that did not fit in 2048 bytes. `removeOldest` is `true` for
   * `CookieStorage` alone (the oldest are dropped) and `false` under `FallbackStorage` (the
   * newest go on to the session).
   */
  store(
    messages: readonly DjangoMessage[],
    removeOldest = true,
  ): { setCookie: string; unstored: DjangoMessage[] } {
    let unstored: DjangoMessage[] = [];
    let value = messages.length > 0 ? this.encode(messages) : "";
    if (value.length > MAX_COOKIE_SIZE) {
      const tooLarge = (part: readonly DjangoMessage[]): boolean =>
        this.encode(part, true).length > MAX_COOKIE_SIZE;
      let lo = 0;
      let hi = messages.length;
      if (removeOldest) {
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (tooLarge(messages.slice(mid))) lo = mid + 1;
          else hi = mid;
        }
        unstored = messages.slice(0, lo);
        value = this.encode(messages.slice(lo), true);
      } else {
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (tooLarge(messages.slice(0, mid + 1))) hi = mid;
          else lo = mid + 1;
        }
        unstored = messages.slice(lo);
        value = this.encode(messages.slice(0, lo), true);
      }
    }
    return { setCookie: this.#header(value), unstored };
  }

  /** `set_cookie` / `delete_cookie` with the session cookie's domain, Secure, HttpOnly, SameSite. */
  #header(value: string): string {
    const o = this.#options;
    const sameSite = o.sameSite === undefined ? "Lax" : o.sameSite;
    const common = {
      path: "/",
      ...(o.domain === undefined ? {} : { domain: o.domain }),
      ...(sameSite === false
        ? {}
        : { sameSite: sameSite.toLowerCase() as "lax" | "strict" | "none" }),
      encode: (v: string) => v,
    };
    if (value === "") {
      return serializeCookie(DjangoMessageCookie.cookieName, "", {
        ...common,
        maxAge: 0,
        expires: new Date(0),
        secure: sameSite === "None",
      });
    }
    return serializeCookie(DjangoMessageCookie.cookieName, value, {
      ...common,
      secure: o.secure === true,
      httpOnly: o.httpOnly !== false,
    });
  }
}

/** Which storage: Django's `MESSAGE_STORAGE`. */
export type MessageStorageName = "session" | "cookie" | "fallback";

/** Options of {@link DjangoMessages}: the settings Django's messages framework reads. */
export interface DjangoMessagesOptions {
  /**
   * `MESSAGE_STORAGE`: `"fallback"` (Django's default, `FallbackStorage`), `"cookie"`
   * (`CookieStorage`) or `"session"` (`SessionStorage`).
   */
  readonly storage: MessageStorageName;
  /** `SECRET_KEY`, `SECRET_KEY_FALLBACKS` and the cookie policy; required unless `"session"`. */
  readonly cookie?: DjangoMessageCookieOptions;
  /** `MESSAGE_LEVEL`: messages below it are not recorded (default `INFO`, 20). */
  readonly level?: number;
}

/** What {@link DjangoMessages.open} reads from a request. */
export interface MessagesRequest {
  /** The request's session (required for `"session"` and `"fallback"`). */
  readonly session?: Session;
  /** The request's `Cookie` header (required for `"cookie"` and `"fallback"`). */
  readonly cookieHeader?: string | undefined;
}

/**
 * Django's messages for Node: a {@link MessageBox} per request, stored where Django's
 * `MESSAGE_STORAGE` stores them, so a message added on one side is shown on the other.
 *
 * @example
 * ```ts
 * import { DjangoMessages, MESSAGE_LEVELS } from "sessionbridge/django";
 * const flash = new DjangoMessages({ storage: "fallback", cookie: { secret: process.env.SECRET_KEY! } });
 * // in a handler, with the request's session:
 * const box = flash.open({ session, cookieHeader: req.headers.cookie });
 * box.add(MESSAGE_LEVELS.SUCCESS, "Saved.");
 * const shown = await box.list(); // what Django's {% for message in messages %} shows
 * for (const header of await box.commit()) res.appendHeader("Set-Cookie", header);
 * ```
 */
export class DjangoMessages {
  readonly storage: MessageStorageName;
  readonly level: number;
  readonly #cookie: DjangoMessageCookie | undefined;

  /** @throws {ConfigurationError} for a cookie storage without `cookie.secret`. */
  constructor(options: DjangoMessagesOptions) {
    if (!["session", "cookie", "fallback"].includes(options.storage)) {
      throw new ConfigurationError(
        `Unknown message storage ${JSON.stringify(options.storage)}: use "session", "cookie" or "fallback"`,
      );
    }
    this.storage = options.storage;
    this.level = options.level ?? MESSAGE_LEVELS.INFO;
    if (options.storage !== "session") {
      if (options.cookie === undefined) {
        throw new ConfigurationError(`Message storage "${options.storage}" needs cookie.secret`);
      }
      this.#cookie = new DjangoMessageCookie(options.cookie);
    }
  }

  /**
   * The messages of one request.
   * @throws {ConfigurationError} when the storage needs a session and none is given.
   */
  open(request: MessagesRequest): MessageBox {
    if (this.storage !== "cookie" && request.session === undefined) {
      throw new ConfigurationError(`Message storage "${this.storage}" needs the request's session`);
    }
    return new MessageBox(this, this.#cookie, request);
  }
}

/** One request's messages: Django's `request._messages` (a `BaseStorage`). */
export class MessageBox {
  readonly #owner: DjangoMessages;
  readonly #cookie: DjangoMessageCookie | undefined;
  readonly #request: MessagesRequest;
  #loaded: DjangoMessage[] | undefined;
  #queued: DjangoMessage[] = [];
  #used = false;
  #addedNew = false;
  /** Which storages held messages at load (FallbackStorage's `_used_storages`). */
  #cookieHad = false;
  #sessionHad = false;

  /** @internal Made by {@link DjangoMessages.open}. */
  constructor(
    owner: DjangoMessages,
    cookie: DjangoMessageCookie | undefined,
    request: MessagesRequest,
  ) {
    this.#owner = owner;
    this.#cookie = cookie;
    this.#request = request;
  }

  /**
   * `messages.add_message(request, level, message, extra_tags)`: queued unless empty or below
   * `MESSAGE_LEVEL`.
   */
  add(level: number, message: string, extraTags: string | null = "", safe = false): void {
    if (!message || level < this.#owner.level) return;
    this.#addedNew = true;
    this.#queued.push({ level, message, extraTags, safe });
  }

  /** Iterating Django's storage: every message (stored, then added), marked as shown. */
  async list(): Promise<DjangoMessage[]> {
    const loaded = await this.#load();
    this.#used = true;
    loaded.push(...this.#queued);
    this.#queued = [];
    return [...loaded];
  }

  async #load(): Promise<DjangoMessage[]> {
    if (this.#loaded !== undefined) return this.#loaded;
    const out: DjangoMessage[] = [];
    const storage = this.#owner.storage;
    let readSession = storage === "session";
    if (storage !== "session") {
      const raw = parseCookies(this.#request.cookieHeader ?? "")[DjangoMessageCookie.cookieName];
      const decoded = raw ? this.#cookie!.decode(raw) : null;
      if (raw && decoded === null) this.#used = true; // Django: bad data is dropped
      if (decoded !== null) {
        out.push(...decoded.messages);
        this.#cookieHad = decoded.messages.length > 0;
        readSession = storage === "fallback" && !decoded.allRetrieved;
      }
    }
    if (readSession) {
      const text = await this.#request.session!.get(MESSAGES_SESSION_KEY);
      if (typeof text === "string" && text) {
        const messages = decodeSessionMessages(text);
        out.push(...messages);
        this.#sessionHad = messages.length > 0;
      }
    }
    this.#loaded = out;
    return out;
  }

  /**
   * `storage.update(response)`: stores what is left (only new messages once listed; the stored
   * ones again plus new ones otherwise), writing the session and returning the `Set-Cookie`
   * headers to add to the response (none when nothing changed).
   */
  async commit(): Promise<string[]> {
    let messages: DjangoMessage[];
    if (this.#used) messages = this.#queued;
    else if (this.#addedNew) messages = [...(await this.#load()), ...this.#queued];
    else return [];
    const headers: string[] = [];
    const session = this.#request.session;
    switch (this.#owner.storage) {
      case "session":
        await storeInSession(session!, messages);
        break;
      case "cookie":
        headers.push(this.#cookie!.store(messages).setCookie);
        break;
      case "fallback": {
        // FallbackStorage._store: the cookie first, the rest to the session; a storage that
        // held messages and gets none is emptied.
        let rest = messages;
        if (rest.length > 0) {
          const stored = this.#cookie!.store(rest, false);
          headers.push(stored.setCookie);
          rest = stored.unstored;
        } else if (this.#cookieHad) {
          headers.push(this.#cookie!.store([]).setCookie);
        }
        if (rest.length > 0 || this.#sessionHad) await storeInSession(session!, rest);
        break;
      }
    }
    return headers;
  }
}

async function storeInSession(session: Session, messages: readonly DjangoMessage[]): Promise<void> {
  if (messages.length > 0) await session.set(MESSAGES_SESSION_KEY, encodeSessionMessages(messages));
  else await session.delete(MESSAGES_SESSION_KEY);
}
