// Issue 18: "64 KiB of any content costs < 10 ms in every parser and check". Every parser and
// check that client- or store-controlled text reaches gets the worst inputs we know for it (runs
// of one character, whitespace and NBSP runs, nesting brackets, escapes, separators, digits,
// random bytes, and the same behind a valid signature, where the payload parser runs) at 4 KiB
// and at 64 KiB. Printed per parser: the slowest 64 KiB input's CPU time per call, and the
// 64 KiB / 4 KiB cost ratio of that input (16 is linear; a quadratic parser shows ~256).
// Not a test (no timed assertions in the suite): the linearity proof in CI is structural
// (test/regex-linearity.test.ts runs the super-linear regex rules over src/, and every parser is
// a single forward scan with its nesting and item bounds checked while parsing).
//
// Run: node --import tsx bench/run.ts parsers
import { iriToUri, isSafeRedirect } from "../src/auth/redirect.ts";
import { identifyHasher } from "../src/auth/hashers/identify.ts";
import { decodeRememberCookie } from "../src/codecs/flask/flask-login.ts";
import { parseHttpDate } from "../src/codecs/flask/http-date.ts";
import { FlaskSessionCodec } from "../src/codecs/flask/session-cookie.ts";
import { base62Decode } from "../src/codecs/base62.ts";
import { base64Decode, pythonA2bBase64 } from "../src/codecs/itsdangerous/encoding.ts";
import { Signer } from "../src/codecs/itsdangerous/signer.ts";
import { TimestampSigner } from "../src/codecs/itsdangerous/timed.ts";
import { URLSafeTimedSerializer } from "../src/codecs/itsdangerous/serializer.ts";
import { decodeMsgspecMsgpack } from "../src/codecs/msgpack/msgspec.ts";
import { loadsPickle } from "../src/codecs/pickle/index.ts";
import { loadsPythonJson } from "../src/codecs/python-json.ts";
import { StarletteSessionCodec } from "../src/codecs/starlette/session-cookie.ts";
import { readCookie } from "../src/codecs/werkzeug/cookies.ts";
import { zlibCompress } from "../src/codecs/zlib.ts";
import { DJANGO_SESSION_SALT, DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import { DjangoSigner, DjangoTimestampSigner } from "../src/codecs/django/signing.ts";
import { DjangoMessageCookie, decodeSessionMessages } from "../src/django/messages.ts";
import { DjangoCacheValueCodec } from "../src/stores/redis/cache-value.ts";

const SECRET = "bench-parsers-secret";
const SMALL = 4 * 1024;
const LARGE = 64 * 1024;

/** Text inputs of `n` characters: the shapes that break backtracking and naive parsers. */
function textShapes(n: number): Record<string, string> {
  const fill = (unit: string, prefix = "", suffix = ""): string =>
    prefix + unit.repeat(Math.ceil((n - prefix.length - suffix.length) / unit.length)) + suffix;
  let seed = 7;
  const random = Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return String.fromCharCode(1 + (seed % 0xff));
  }).join("");
  return {
    a: fill("a"),
    tabs: fill("\t", "/x", "y"),
    nbsp: fill("\u00a0", "/x", "y"),
    spaces: fill(" ", "a", "b"),
    braces: fill("{"),
    brackets: fill("["),
    "json-nest": fill('{"a":', "", "1"),
    "json-list": fill("1,", "[", "1]"),
    escapes: fill("\\u00e9", '"', '"'),
    quotes: fill('\\"', '"', '"'),
    digits: fill("9"),
    dots: fill("."),
    colons: fill(":"),
    semicolons: fill("a=b; "),
    percent: fill("%"),
    "percent-e9": fill("%E9"),
    slashes: fill("/\\"),
    base64: fill("A"),
    dollars: fill("$"),
    random,
  };
}

/** Byte inputs of `n` bytes for the stored-value parsers. */
function byteShapes(n: number): Record<string, Uint8Array> {
  const fill = (...unit: number[]): Uint8Array =>
    Uint8Array.from({ length: n }, (_, i) => unit[i % unit.length]!);
  let seed = 11;
  return {
    "pickle }": Uint8Array.from([0x80, 4, ...fill(0x7d).subarray(2)]),
    "pickle (": Uint8Array.from([0x80, 4, ...fill(0x28).subarray(2)]),
    "pickle ]": Uint8Array.from([0x80, 4, ...fill(0x5d).subarray(2)]),
    "pickle sets": Uint8Array.from([0x80, 4, ...fill(0x8f).subarray(2)]),
    "pickle memo": Uint8Array.from([0x80, 4, 0x5d, ...fill(0x94, 0x68, 0).subarray(3)]),
    "msgpack arrays": fill(0x91),
    "msgpack maps": fill(0x81, 0xa0),
    zeros: fill(0),
    random: Uint8Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    }),
  };
}

type Parser = (input: string) => unknown;

const django = new DjangoSessionCodec({ secret: SECRET });
const djangoSigner = new DjangoTimestampSigner({
  secret: SECRET,
  salt: DJANGO_SESSION_SALT,
  algorithm: "sha256",
});
const plainSigner = new DjangoSigner({ secret: SECRET });
const messages = new DjangoMessageCookie({ secret: SECRET });
const flask = new FlaskSessionCodec({ secretKey: SECRET });
const starlette = new StarletteSessionCodec({ secretKey: SECRET });
const itsSigner = new Signer(SECRET);
const itsTimed = new TimestampSigner(SECRET);
const itsSerializer = new URLSafeTimedSerializer(SECRET);
const b64 = (s: string): string => Buffer.from(s, "latin1").toString("base64url");

const TEXT_PARSERS: Record<string, Parser> = {
  "Django session (cookie/stored value)": (s) => django.decode(s),
  "Django session, signed payload": (s) => django.decode(djangoSigner.sign(b64(s))),
  "Django session, signed zlib payload": (s) =>
    django.decode(
      djangoSigner.sign(
        `.${Buffer.from(zlibCompress(Buffer.from(s, "latin1"))).toString("base64url")}`,
      ),
    ),
  "Django signer.unsign": (s) => plainSigner.unsign(s),
  "Django messages cookie": (s) => messages.decode(s),
  "Django session messages": (s) => decodeSessionMessages(s),
  "Python JSON": (s) => loadsPythonJson(s),
  base62: (s) => base62Decode(s),
  "Flask session cookie": (s) => flask.decode(s),
  "Flask session, signed payload": (s) => flask.serializer.loadPayload(b64(s)),
  "Flask-Login remember cookie": (s) => decodeRememberCookie(s, SECRET),
  "Werkzeug/Django cookie header": (s) => readCookie(s, "sessionid", "last"),
  "HTTP date": (s) => parseHttpDate(s),
  "Starlette session cookie": (s) => starlette.decode(s),
  "Starlette, signed payload": (s) => starlette.decode(starlette.signer.sign(b64(s))),
  "itsdangerous Signer.unsign": (s) => itsSigner.unsign(s),
  "itsdangerous TimestampSigner.unsign": (s) => itsTimed.unsign(s),
  "itsdangerous URLSafeTimedSerializer.loads": (s) => itsSerializer.loads(s),
  "itsdangerous payload": (s) => itsSerializer.loadPayload(s),
  base64Decode: (s) => base64Decode(s),
  pythonA2bBase64: (s) => pythonA2bBase64(s, true),
  isSafeRedirect: (s) => isSafeRedirect(s, { host: "example.com" }),
  iriToUri: (s) => iriToUri(s),
  identifyHasher: (s) => identifyHasher(s),
};

const cacheCodecs = {
  pickle: new DjangoCacheValueCodec({ serializer: "pickle" }),
  json: new DjangoCacheValueCodec({ serializer: "json" }),
  msgpack: new DjangoCacheValueCodec({ serializer: "msgpack", compressor: "zlib" }),
};
const BYTE_PARSERS: Record<string, (b: Uint8Array) => unknown> = {
  pickle: (b) => loadsPickle(b),
  msgpack: (b) => decodeMsgspecMsgpack(b),
  "django-redis pickle value": (b) => cacheCodecs.pickle.decodeSession(b),
  "django-redis JSON value": (b) => cacheCodecs.json.decodeSession(b),
  "django-redis msgpack+zlib value": (b) => cacheCodecs.msgpack.decodeSession(b),
};

/**
 * CPU milliseconds of one call of `fn(input)` (errors included): the median of at least 20 ms of
 * calls, each timed on its own, and the mean (which carries the garbage collections that the
 * calls' allocations cause).
 */
function cpuMsPerCall<T>(fn: (x: T) => unknown, input: T): { median: number; mean: number } {
  const call = (): void => {
    try {
      fn(input);
    } catch {
      /* a refusal is a result too */
    }
  };
  call(); // warm-up
  const times: number[] = [];
  let used = 0;
  while ((used < 20_000 || times.length < 5) && times.length < 2_000) {
    const start = process.cpuUsage();
    call();
    const d = process.cpuUsage(start);
    times.push(d.user + d.system);
    used += d.user + d.system;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]! / 1000, mean: used / 1000 / times.length };
}

interface Row {
  parser: string;
  worst: string;
  ms64k: number;
  mean64k: number;
  ratio: number;
}

function measure<T>(
  parsers: Record<string, (x: T) => unknown>,
  shapes: (n: number) => Record<string, T>,
): Row[] {
  const small = shapes(SMALL);
  const large = shapes(LARGE);
  return Object.entries(parsers).map(([parser, fn]) => {
    let row: Row = { parser, worst: "", ms64k: -1, mean64k: -1, ratio: 0 };
    for (const [shape, input] of Object.entries(large)) {
      const { median, mean } = cpuMsPerCall(fn, input);
      if (median > row.ms64k) {
        const smallMs = cpuMsPerCall(fn, small[shape]!).median;
        row = {
          parser,
          worst: shape,
          ms64k: median,
          mean64k: mean,
          ratio: median / Math.max(smallMs, 1e-3),
        };
      }
    }
    return row;
  });
}

const rows = [...measure(TEXT_PARSERS, textShapes), ...measure(BYTE_PARSERS, byteShapes)];
console.log(
  "\nParsers and checks on 64 KiB of hostile input (CPU ms per call: median, and mean with the GC the calls cause; slowest shape)",
);
console.log(
  `  ${"parser".padEnd(44)} ${"worst input".padEnd(15)} ${"median".padStart(8)} ${"mean".padStart(8)} ${"64K/4K".padStart(7)}`,
);
for (const r of rows) {
  console.log(
    `  ${r.parser.padEnd(44)} ${r.worst.padEnd(15)} ${r.ms64k.toFixed(3).padStart(8)} ${r.mean64k.toFixed(3).padStart(8)} ${r.ratio.toFixed(1).padStart(7)}`,
  );
}
const worst = rows.reduce((a, b) => (b.mean64k > a.mean64k ? b : a));
const over = rows.filter((r) => r.mean64k >= 10);
console.log(
  `  slowest (mean): ${worst.parser} on ${worst.worst}, ${worst.mean64k.toFixed(3)} ms; ` +
    (over.length === 0
      ? "every parser under 10 ms"
      : `over 10 ms: ${over.map((r) => r.parser).join(", ")}`),
);
