// Issue 18, "bad input stays what it is": random input to every public decoder (fixed seeds, so a
// failure replays) either decodes or throws one of the package's own errors (SessionBridgeError
// and its subclasses), never a TypeError, RangeError or anything untyped. Signed formats are
// fuzzed twice: random tokens (the signature check), and random payloads signed with the right
// key (everything the parser behind the signature does: base64, zlib, JSON, tags, pickle).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SessionBridgeError } from "../../src/errors.ts";
import {
  DJANGO_SESSION_SALT,
  DjangoMessageCookie,
  DjangoSessionCodec,
  DjangoSigner,
  DjangoTimestampSigner,
  base62Decode,
  decodeSessionMessages,
  djangoUnsignBytes,
  loadsPythonJson,
  loadsPythonJsonSession,
} from "../../src/django/index.ts";
import { FlaskSessionCodec, decodeRememberCookie, readCookie } from "../../src/flask/index.ts";
import { StarletteSessionCodec } from "../../src/starlette/index.ts";
import {
  Serializer,
  Signer,
  TimestampSigner,
  URLSafeSerializer,
  URLSafeTimedSerializer,
  base64Decode,
  pythonA2bBase64,
} from "../../src/codecs/itsdangerous/index.ts";
import { Redis } from "ioredis";
import { dumpsPickle, loadsPickle, loadsPickleSession } from "../../src/codecs/pickle/index.ts";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyFrozenSet,
  PyMarkup,
  PyOrderedDict,
  PySet,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  type PyValue,
} from "../../src/codecs/python-values.ts";
import {
  FlaskSessionRedisStore,
  decodeMsgspecMsgpack,
} from "../../src/stores/flask-session/index.ts";
import { DjangoCacheValueCodec } from "../../src/stores/redis/index.ts";
import { parseHttpDate, untagFlaskValue } from "../../src/codecs/flask/index.ts";
import { iriToUri, isSafeRedirect } from "../../src/auth/index.ts";
import { identifyHasher } from "../../src/auth/hashers/index.ts";
import { sessionFromTypedJson } from "../../src/codecs/typed-json.ts";
import { zlibCompress } from "../../src/codecs/zlib.ts";

const SECRET = "fuzz-secret-key";
const SEED = 20261208;

/** Runs `fn`; an error is fine only when it is one of ours. */
function typedOnly(name: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof SessionBridgeError) return;
    assert.fail(`${name} threw ${String(err)} (${(err as Error).constructor.name})`);
  }
}

/** Text of any code units (lone surrogates included), or of Latin-1 bytes. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 400 }),
  fc.string({ unit: fc.constantFrom(...'{}[]":,. tn01eE-+\\/=_'), maxLength: 300 }),
);
const anyBytes = fc.uint8Array({ maxLength: 400 });

/** Byte strings that look like the formats they are fed to: mutations of real values. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2)), {
      minLength: 1,
      maxLength: 8,
    })
    .map((edits) => {
      const out = [...valid];
      for (const [at, byte, kind] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (kind === 0) out[i] = byte;
        else if (kind === 1) out.splice(i, 0, byte);
        else out.splice(i, 1 + (byte % 8));
      }
      return Uint8Array.from(out);
    });
}
const mutatedText = (valid: string): fc.Arbitrary<string> =>
  mutated(Buffer.from(valid, "latin1")).map((b) => Buffer.from(b).toString("latin1"));

function fuzz<T>(name: string, arb: fc.Arbitrary<T>, fn: (x: T) => unknown, numRuns = 3000): void {
  it(name, () => {
    fc.assert(
      fc.property(arb, (x) => {
        typedOnly(name, () => fn(x));
      }),
      { numRuns, seed: SEED },
    );
  });
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
/** A payload as the signed formats carry it: base64url, or "." + base64url(zlib(...)). */
const payloadOf = fc.oneof(
  anyBytes.map(b64url),
  anyBytes.map((b) => `.${b64url(zlibCompress(b))}`),
  anyText.map((t) => b64url(Buffer.from(t, "utf8"))),
  anyText.map((t) => `.${b64url(zlibCompress(Buffer.from(t, "utf8")))}`),
  anyText,
);

describe("fuzz: Django decoders", () => {
  const codec = new DjangoSessionCodec({ secret: SECRET });
  const sessionSigner = new DjangoTimestampSigner({
    secret: SECRET,
    salt: DJANGO_SESSION_SALT,
    algorithm: "sha256",
  });
  const valid = codec.encode(
    new Map<string, PyValue>([
      ["_auth_user_id", "1"],
      ["cart", [1, 2]],
    ]),
  );
  fuzz("DjangoSessionCodec.decode, random text", anyText, (t) => codec.decode(t));
  fuzz("DjangoSessionCodec.decode, mutated sessions", mutatedText(valid), (t) => codec.decode(t));
  fuzz("DjangoSessionCodec.decode, random payloads signed with the key", payloadOf, (p) =>
    codec.decode(sessionSigner.sign(p)),
  );
  const signer = new DjangoSigner({ secret: SECRET });
  fuzz("DjangoSigner.unsign", anyText, (t) => signer.unsign(t));
  fuzz("djangoUnsignBytes, signed payloads", payloadOf, (p) =>
    djangoUnsignBytes(sessionSigner, sessionSigner.sign(p)),
  );
  const messages = new DjangoMessageCookie({ secret: SECRET });
  const messageSigner = new DjangoTimestampSigner({
    secret: `django.http.cookies${SECRET}`,
    salt: "django.contrib.messages",
  });
  fuzz("DjangoMessageCookie.decode, random text", anyText, (t) => messages.decode(t));
  fuzz("DjangoMessageCookie.decode, signed payloads", payloadOf, (p) =>
    messages.decode(messageSigner.sign(p)),
  );
  fuzz("decodeSessionMessages", anyText, (t) => decodeSessionMessages(t));
  fuzz("loadsPythonJson", anyText, (t) => loadsPythonJson(t));
  fuzz("loadsPythonJsonSession", anyText, (t) => loadsPythonJsonSession(t));
  fuzz("base62Decode", anyText, (t) => base62Decode(t));
});

describe("fuzz: Flask, Starlette and itsdangerous decoders", () => {
  const flask = new FlaskSessionCodec({ secretKey: SECRET });
  const validFlask = flask.encode(
    new Map<string, PyValue>([
      ["_user_id", "7"],
      ["t", [1]],
    ]),
  );
  fuzz("FlaskSessionCodec.decode, random text", anyText, (t) => flask.decode(t));
  fuzz("FlaskSessionCodec.decode, mutated cookies", mutatedText(validFlask), (t) =>
    flask.decode(t),
  );
  fuzz("FlaskSessionCodec payload parsing (behind a valid signature)", payloadOf, (p) =>
    flask.serializer.loadPayload(p),
  );
  fuzz("untagFlaskValue over parsed JSON", fc.jsonValue(), (v) =>
    untagFlaskValue(v as Parameters<typeof untagFlaskValue>[0]),
  );
  fuzz("decodeRememberCookie", anyText, (t) => decodeRememberCookie(t, SECRET));
  fuzz("readCookie", anyText, (t) => readCookie(t, "session", "last"));
  fuzz("parseHttpDate", anyText, (t) => parseHttpDate(t));

  const starlette = new StarletteSessionCodec({ secretKey: SECRET });
  fuzz("StarletteSessionCodec.decode, random text", anyText, (t) => starlette.decode(t));
  fuzz("StarletteSessionCodec.decode, signed payloads", payloadOf, (p) =>
    starlette.decode(starlette.signer.sign(p)),
  );

  const signer = new Signer(SECRET);
  const timed = new TimestampSigner(SECRET);
  fuzz("Signer.unsign", anyText, (t) => signer.unsign(t));
  fuzz("TimestampSigner.unsign", anyText, (t) => timed.unsign(t));
  // A valid signature over "value.<random timestamp>": the timestamp parsing behind it.
  fuzz("TimestampSigner.unsign, signed random timestamps", anyText, (t) =>
    timed.unsign(signer.sign(`x.${t}`)),
  );
  for (const S of [Serializer, URLSafeSerializer, URLSafeTimedSerializer]) {
    const s = new S(SECRET);
    fuzz(`${S.name}.loads, random text`, anyText, (t) => s.loads(t));
    fuzz(`${S.name} payload parsing`, payloadOf, (p) => s.loadPayload(p));
  }
  fuzz("base64Decode", anyText, (t) => base64Decode(t));
  fuzz("pythonA2bBase64", anyText, (t) => pythonA2bBase64(t, true));
});

describe("fuzz: stored-value decoders (pickle, msgpack, cache values)", () => {
  fuzz("loadsPickle, random bytes", anyBytes, (b) => loadsPickle(b), 2000);
  fuzz("loadsPickleSession, random bytes", anyBytes, (b) => loadsPickleSession(b), 1000);
  // Sessions with every typed value, at protocols 2 and 5: the mutations hit every handler.
  const session = new Map<string, PyValue>([
    ["tags", new PySet([1, 2, new PyTuple(["a", 1])])],
    ["roles", new PyFrozenSet(["admin"])],
    [
      "steps",
      new PyOrderedDict([
        ["2", "pay"],
        ["1", [new PyDecimal("9.99")]],
      ]),
    ],
    ["at", new PyDateTime(2026, 1, 2, 3, 4, 5, 6, 3600)],
    ["day", new PyDate(2026, 1, 2)],
    ["wait", new PyTimeDelta(1, 2, 3)],
    ["id", new PyUUID("12345678123456781234567812345678")],
    ["m", new PyMarkup("<b>")],
    ["b", Uint8Array.of(0, 255)],
    ["f", new PyFloat(1)],
    ["big", 2n ** 70n],
  ]);
  for (const protocol of [2, 5] as const) {
    fuzz(
      `loadsPickle, mutated protocol ${protocol} pickles`,
      mutated(dumpsPickle(session, { protocol })),
      (b) => loadsPickle(b),
      2000,
    );
  }
  fuzz("decodeMsgspecMsgpack", anyBytes, (b) => decodeMsgspecMsgpack(b), 2000);
  // Never connected: decode() is the store's parsing only.
  const store = new FlaskSessionRedisStore({
    client: new Redis({ lazyConnect: true }),
    serializer: "msgpack",
  });
  fuzz("FlaskSessionRedisStore.decode (msgpack, JSON, pickle)", anyBytes, (b) => store.decode(b));
  for (const serializer of ["pickle", "json", "msgpack"] as const) {
    for (const compressor of [undefined, "zlib"] as const) {
      const codec = new DjangoCacheValueCodec({
        serializer,
        ...(compressor === undefined ? {} : { compressor }),
      });
      fuzz(`DjangoCacheValueCodec ${serializer}${compressor ? "+zlib" : ""}`, anyBytes, (b) =>
        codec.decodeSession(b),
      );
    }
  }
  fuzz("sessionFromTypedJson", fc.jsonValue(), (v) => sessionFromTypedJson(v));
});

describe("fuzz: checks on client input", () => {
  fuzz("isSafeRedirect", anyText, (t) => isSafeRedirect(t, { host: "example.com" }));
  fuzz("iriToUri", anyText, (t) => iriToUri(t));
  fuzz("identifyHasher", anyText, (t) => identifyHasher(t));
});
