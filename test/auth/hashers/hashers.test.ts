// Unit tests of the Django password hashers (django-formats.md §7): reference vectors, identify
// rules, defaults per version, must_update, unusable and malformed hashes, fake work, hardening.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ConfigurationError, InvalidArgumentError } from "../../../src/errors.ts";
import {
  checkPassword,
  defaultPasswordHashers,
  getRandomString,
  hasherFor,
  identifyHasher,
  isPasswordUsable,
  makePassword,
  makeSalt,
  makeUnusablePassword,
  mustUpdate,
  PBKDF2_ITERATIONS,
  resolveHasherConfig,
  setPasswordHasherBackends,
  type Argon2Backend,
  type BcryptBackend,
  type HasherAlgorithm,
} from "../../../src/auth/hashers/index.ts";
import { pySplit } from "../../../src/auth/hashers/hasher.ts";
import { nativeBackends } from "./support.ts";

const PW = "correct horse battery staple";
const SALT = "seasalt0123456789ABCDE";
const md5hex = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");
const sha1hex = (s: string): string => createHash("sha1").update(s, "utf8").digest("hex");
const LEGACY_OK: HasherAlgorithm[] = [
  "pbkdf2_sha256",
  "md5",
  "sha1",
  "unsalted_sha1",
  "unsalted_md5",
];

describe("reference vectors (django-formats.md §7.1, §6.2)", () => {
  it("pbkdf2_sha256 at Django 5.2's 1,000,000 iterations", async () => {
    const vector =
      "pbkdf2_sha256$1000000$seasalt0123456789ABCDE$YGmH53aIHzj455HFOCHdZDKkT3VWQitwh0eT6sNjr+c=";
    assert.equal(await makePassword(PW, { salt: SALT }), vector);
    assert.deepEqual(await checkPassword(PW, vector), {
      ok: true,
      mustUpdate: false,
      algorithm: "pbkdf2_sha256",
    });
    const r = await checkPassword("wrong", vector);
    assert.deepEqual(r, { ok: false, mustUpdate: false, reason: "mismatch" });
  });

  it("pbkdf2_sha256 at Django 3.2's 260,000 iterations (the §6.2 password field)", async () => {
    const encoded = await makePassword(PW, { salt: SALT, djangoVersion: "3.2" });
    assert.equal(
      encoded,
      "pbkdf2_sha256$260000$seasalt0123456789ABCDE$mQVJHnltC5pDRjyNLoC9ruo4/Mv5MqCFIrj5/IQ5gXU=",
    );
    // Valid under 5.2, but due for an upgrade.
    assert.deepEqual(await checkPassword(PW, encoded), {
      ok: true,
      mustUpdate: true,
      algorithm: "pbkdf2_sha256",
    });
  });
});

describe("identifyHasher / hasherFor (§7.1 identify rules)", () => {
  const hex32 = "5f4dcc3b5aa765d61d8327deb882cf99";
  const hex40 = "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8";
  const cases: [string, string][] = [
    [hex32, "unsalted_md5"],
    [`md5$$${hex32}`, "unsalted_md5"],
    [`sha1$$${hex40}`, "unsalted_sha1"],
    [`sha1$$${hex40}0`, "sha1"], // 47 chars: not the unsalted rule
    [`md5$$${hex32}0`, "md5"], // 38 chars
    ["md5$abcdefghijklmnopqrstuvwxyz01", "md5"], // 32 chars but contains "$"
    ["pbkdf2_sha256$abc", "pbkdf2_sha256"],
    ["bcrypt_sha256$$2b$12$x", "bcrypt_sha256"],
    ["argon2$argon2id$…", "argon2"],
    ["crypt$$ab01234567890", "crypt"],
    ["nodollar", "nodollar"],
    ["", ""],
    ["é".repeat(32), "unsalted_md5"], // Python len() counts code points
    ["🔑".repeat(16), "🔑".repeat(16)], // 16 code points (32 UTF-16 units): not 32
  ];
  for (const [encoded, name] of cases) {
    it(`${JSON.stringify(encoded.slice(0, 24))} → ${name || '""'}`, () => {
      assert.equal(identifyHasher(encoded), name);
    });
  }

  it("hasherFor only returns enabled algorithms (PASSWORD_HASHERS)", () => {
    assert.equal(hasherFor("pbkdf2_sha1$1$a$b"), "pbkdf2_sha1");
    assert.equal(hasherFor(`md5$salt$${hex32}`), undefined); // md5 is not a default hasher
    assert.equal(hasherFor(`md5$salt$${hex32}`, { hashers: ["pbkdf2_sha256", "md5"] }), "md5");
    assert.equal(hasherFor("scrypt$16384$s$8$1$h", { djangoVersion: "3.2" }), undefined);
    assert.equal(
      hasherFor("crypt$$ab0123456789a", { djangoVersion: "4.2", hashers: LEGACY_OK }),
      undefined,
    );
  });
});

describe("defaults per Django version (§7.2)", () => {
  it("pbkdf2 iterations", () => {
    assert.deepEqual(
      (["3.2", "4.2", "5.2", "6.0", "6.1"] as const).map(
        (v) => resolveHasherConfig({ djangoVersion: v }).params.pbkdf2Iterations,
      ),
      [260_000, 600_000, 1_000_000, 1_200_000, 1_500_000],
    );
    assert.equal(PBKDF2_ITERATIONS["5.1"], 870_000);
  });

  it("scrypt p is 1 before 5.1 and 5 from 5.1; other parameters", () => {
    assert.equal(resolveHasherConfig({ djangoVersion: "4.2" }).params.scrypt.p, 1);
    assert.equal(resolveHasherConfig({ djangoVersion: "5.1" }).params.scrypt.p, 5);
    assert.equal(resolveHasherConfig({ djangoVersion: "6.1" }).params.scrypt.p, 5);
    assert.deepEqual(resolveHasherConfig().params, {
      pbkdf2Iterations: 1_000_000,
      argon2: { timeCost: 2, memoryCost: 102_400, parallelism: 8 },
      bcryptRounds: 12,
      scrypt: { n: 16_384, r: 8, p: 5 },
    });
  });

  it("default PASSWORD_HASHERS gain scrypt in 4.0; preferred moves to the front", () => {
    assert.deepEqual(defaultPasswordHashers("3.2"), [
      "pbkdf2_sha256",
      "pbkdf2_sha1",
      "argon2",
      "bcrypt_sha256",
    ]);
    assert.equal(defaultPasswordHashers("4.2").at(-1), "scrypt");
    assert.deepEqual(resolveHasherConfig({ preferred: "scrypt" }).hashers.slice(0, 2), [
      "scrypt",
      "pbkdf2_sha256",
    ]);
  });

  it("configuration errors throw ConfigurationError", () => {
    assert.throws(
      () => resolveHasherConfig({ djangoVersion: "3.2", hashers: ["scrypt"] }),
      ConfigurationError,
    );
    assert.throws(
      () => resolveHasherConfig({ djangoVersion: "5.1", hashers: ["unsalted_md5"] }),
      ConfigurationError,
    );
    assert.throws(
      () => resolveHasherConfig({ hashers: ["pbkdf2_sha256"], preferred: "argon2" }),
      ConfigurationError,
    );
    assert.throws(() => resolveHasherConfig({ hashers: [] }), ConfigurationError);
    assert.throws(
      () => resolveHasherConfig({ params: { scrypt: { n: 1000 } } }),
      ConfigurationError,
    );
    assert.throws(
      () => resolveHasherConfig({ hashers: ["nope" as HasherAlgorithm] }),
      ConfigurationError,
    );
  });
});

describe("salts and unusable passwords", () => {
  it("salts are 22 chars of [a-zA-Z0-9]", () => {
    const salts = Array.from({ length: 50 }, makeSalt);
    for (const s of salts) assert.match(s, /^[a-zA-Z0-9]{22}$/);
    assert.equal(new Set(salts).size, 50);
    assert.match(getRandomString(5, "ab"), /^[ab]{5}$/);
  });

  it("unusable: '!' + 40 chars; is_password_usable(None) is True as in Django", async () => {
    const u = makeUnusablePassword();
    assert.match(u, /^![a-zA-Z0-9]{40}$/);
    assert.match(await makePassword(null), /^![a-zA-Z0-9]{40}$/);
    assert.equal(isPasswordUsable(u), false);
    assert.equal(isPasswordUsable(null), true);
    assert.equal(isPasswordUsable("pbkdf2_sha256$…"), true);
    assert.deepEqual(await checkPassword(PW, u), {
      ok: false,
      mustUpdate: false,
      reason: "unusable",
    });
    assert.equal(mustUpdate(u), false);
  });
});

describe("bad input never throws", () => {
  const fast = { params: { pbkdf2Iterations: 1 } } as const;
  const malformed = [
    "pbkdf2_sha256$abc",
    "pbkdf2_sha256$$salt$hash",
    "pbkdf2_sha256$0$salt$hash",
    "pbkdf2_sha256$-5$salt$hash",
    "pbkdf2_sha256$99999999999$salt$hash",
    "pbkdf2_sha256$100$$hash",
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ",
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$",
    "argon2$argon2id$v=18$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
    "argon2$argon2x$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
    "argon2$argon2id$v=19$m=1,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2g",
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaGhhc2g", // 4-byte salt
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHR$aGFzaGhhc2g", // non-canonical b64 (trailing bits set)
    "bcrypt_sha256$$2b$12$short",
    "bcrypt_sha256$2b$12$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyz01234",
    "bcrypt_sha256$$2b$03$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyz01234",
    "bcrypt$$2x$12$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyz01234",
    "scrypt$16384$salt$8$1",
    "scrypt$16000$salt$8$1$hash",
    "scrypt$1073741824$salt$8$1$hash",
    "scrypt$16384$salt$8$1$hash$extra",
    "md5$$" + "0".repeat(33),
    "sha1$$" + "0".repeat(41),
  ];
  for (const encoded of malformed) {
    it(`${JSON.stringify(encoded.slice(0, 40))} → malformed-hash`, async () => {
      const hashers: HasherAlgorithm[] = [
        "pbkdf2_sha256",
        "argon2",
        "bcrypt_sha256",
        "bcrypt",
        "scrypt",
        "md5",
        "sha1",
      ];
      const opts = { ...fast, hashers, djangoVersion: "4.2" } as const;
      const r = await checkPassword(PW, encoded, opts);
      assert.deepEqual(r, { ok: false, mustUpdate: false, reason: "malformed-hash" });
      assert.equal(mustUpdate(encoded, opts), false);
    });
  }

  it("unknown algorithms, garbage, empty and missing values", async () => {
    const cases: [string | null | undefined, string][] = [
      ["crypt$$ab0123456789a", "unknown-algorithm"],
      ["garbage", "unknown-algorithm"],
      ["$$$", "unknown-algorithm"],
      ["md5$salt$" + "0".repeat(32), "unknown-algorithm"], // md5 not enabled by default
      ["", "missing-hash"],
      [null, "missing-hash"],
      [undefined, "missing-hash"],
    ];
    for (const [encoded, reason] of cases) {
      assert.deepEqual(await checkPassword(PW, encoded, fast), {
        ok: false,
        mustUpdate: false,
        reason,
      });
    }
    const real = await makePassword(PW, fast);
    assert.deepEqual(await checkPassword(null, real, fast), {
      ok: false,
      mustUpdate: false,
      reason: "missing-password",
    });
  });

  it("non-canonical numbers are parsed but never verify (Django compares re-encoded strings)", async () => {
    const good = await makePassword(PW, { params: { pbkdf2Iterations: 1000 } });
    const padded = good.replace("$1000$", "$01000$");
    assert.equal((await checkPassword(PW, padded, fast)).ok, false);
    assert.equal((await checkPassword(PW, good, fast)).ok, true);
  });

  it("makePassword rejects bad arguments", async () => {
    await assert.rejects(makePassword(42 as unknown as string), InvalidArgumentError);
    await assert.rejects(makePassword(PW, { algorithm: "md5" }), ConfigurationError); // verify-only
    await assert.rejects(
      makePassword(PW, { algorithm: "scrypt", djangoVersion: "3.2" }),
      ConfigurationError,
    );
    await assert.rejects(
      makePassword(PW, { algorithm: "scrypt", hashers: ["pbkdf2_sha256"] }),
      ConfigurationError,
    );
    await assert.rejects(makePassword(PW, { salt: "a$b", ...fast }), ConfigurationError);
    await assert.rejects(makePassword(PW, { salt: "", ...fast }), ConfigurationError);
  });
});

describe("legacy verify-only hashers", () => {
  const opts = { djangoVersion: "4.2", hashers: LEGACY_OK } as const;
  it("md5 / sha1 salted, unsalted_sha1, unsalted_md5 (bare and md5$$)", async () => {
    const salt = "abcdefghijklmnopqrstuv";
    const hashes: [string, HasherAlgorithm][] = [
      [`md5$${salt}$${md5hex(salt + PW)}`, "md5"],
      [`sha1$${salt}$${sha1hex(salt + PW)}`, "sha1"],
      [`sha1$$${sha1hex(PW)}`, "unsalted_sha1"],
      [md5hex(PW), "unsalted_md5"],
      [`md5$$${md5hex(PW)}`, "unsalted_md5"],
    ];
    for (const [encoded, algorithm] of hashes) {
      assert.deepEqual(await checkPassword(PW, encoded, { ...opts, preferred: algorithm }), {
        ok: true,
        mustUpdate: false,
        algorithm,
      });
      assert.deepEqual(
        await checkPassword(PW, encoded, { ...opts, params: { pbkdf2Iterations: 1 } }),
        {
          ok: true,
          mustUpdate: true, // the preferred hasher differs
          algorithm,
        },
      );
      assert.equal(
        (await checkPassword("nope", encoded, { ...opts, preferred: algorithm })).ok,
        false,
      );
    }
  });

  it("salted md5/sha1 with a short salt must update (salt < 22 chars)", () => {
    assert.equal(
      mustUpdate(`md5$shortsalt123$${md5hex("x")}`, { ...opts, preferred: "md5" }),
      true,
    );
    assert.equal(
      mustUpdate(`md5$${"s".repeat(22)}$${md5hex("x")}`, { ...opts, preferred: "md5" }),
      false,
    );
    assert.equal(
      mustUpdate(`md5$${"s".repeat(21)}$${md5hex("x")}`, { ...opts, preferred: "md5" }),
      true,
    );
  });

  it("removed in 5.1: not accepted there", async () => {
    const r = await checkPassword(PW, md5hex(PW), {
      djangoVersion: "5.2",
      params: { pbkdf2Iterations: 1 },
    });
    assert.deepEqual(r, { ok: false, mustUpdate: false, reason: "unknown-algorithm" });
  });
});

describe("must_update rules (§7.3)", () => {
  it("pbkdf2: iterations differ, or salt shorter than 22", async () => {
    const it1000 = await makePassword(PW, { params: { pbkdf2Iterations: 1000 } });
    assert.equal(mustUpdate(it1000, { params: { pbkdf2Iterations: 1000 } }), false);
    assert.equal(mustUpdate(it1000, { params: { pbkdf2Iterations: 1001 } }), true);
    assert.equal(mustUpdate(it1000), true);
    const short = await makePassword(PW, {
      salt: "s".repeat(21),
      params: { pbkdf2Iterations: 1000 },
    });
    assert.equal(mustUpdate(short, { params: { pbkdf2Iterations: 1000 } }), true);
    const sha1 = await makePassword(PW, {
      algorithm: "pbkdf2_sha1",
      params: { pbkdf2Iterations: 1000 },
    });
    assert.equal(mustUpdate(sha1, { params: { pbkdf2Iterations: 1000 } }), true); // not preferred
    assert.equal(
      mustUpdate(sha1, { preferred: "pbkdf2_sha1", params: { pbkdf2Iterations: 1000 } }),
      false,
    );
  });

  it("scrypt: n, r or p differ", async () => {
    const s = await makePassword(PW, { algorithm: "scrypt", djangoVersion: "4.2" });
    assert.match(s, /^scrypt\$16384\$[a-zA-Z0-9]{22}\$8\$1\$[A-Za-z0-9+/]{86}==$/);
    assert.equal(mustUpdate(s, { djangoVersion: "4.2", preferred: "scrypt" }), false);
    assert.equal(mustUpdate(s, { djangoVersion: "5.2", preferred: "scrypt" }), true);
    assert.deepEqual(await checkPassword(PW, s, { djangoVersion: "5.2", preferred: "scrypt" }), {
      ok: true,
      mustUpdate: true,
      algorithm: "scrypt",
    });
  });
});

describe("fake work and harden_runtime (spy backends)", () => {
  let argon2Calls = 0;
  let bcryptCalls = 0;
  const spyArgon2: Argon2Backend = {
    hashRaw(_pw, input) {
      argon2Calls++;
      return Promise.resolve(new Uint8Array(input.hashLength));
    },
  };
  // A stand-in bcrypt: the salt followed by a digest of the password (format-valid, not bcrypt).
  const spyBcrypt: BcryptBackend = {
    hash(pw, salt) {
      bcryptCalls++;
      const digest = createHash("sha256")
        .update(pw)
        .digest("base64")
        .replace(/[^a-zA-Z0-9]/g, ".");
      return Promise.resolve(salt + digest.slice(0, 31));
    },
  };
  before(() => setPasswordHasherBackends({ argon2: spyArgon2, bcrypt: spyBcrypt }));
  after(async () => {
    setPasswordHasherBackends({ argon2: undefined, bcrypt: undefined });
    await nativeBackends(); // restore the scratch override for other test files, if used
  });

  it("unusable, unknown and malformed hashes run the preferred hasher once", async () => {
    for (const encoded of ["!x", "garbage", "argon2$bad", null]) {
      argon2Calls = 0;
      const r = await checkPassword(PW, encoded, { preferred: "argon2" });
      assert.equal(r.ok, false);
      assert.equal(argon2Calls, 1, String(encoded));
    }
  });

  it("bcrypt pads a wrong guess with 2**(rounds - stored) - 1 extra hashes", async () => {
    const old = await makePassword(PW, {
      algorithm: "bcrypt_sha256",
      params: { bcryptRounds: 10 },
    });
    assert.match(old, /^bcrypt_sha256\$\$2b\$10\$/);
    const opts = { preferred: "bcrypt_sha256" } as const;
    bcryptCalls = 0;
    assert.deepEqual(await checkPassword("wrong", old, opts), {
      ok: false,
      mustUpdate: false,
      reason: "mismatch",
    });
    assert.equal(bcryptCalls, 1 + 3);
    bcryptCalls = 0;
    assert.deepEqual(await checkPassword(PW, old, opts), {
      ok: true,
      mustUpdate: true,
      algorithm: "bcrypt_sha256",
    });
    assert.equal(bcryptCalls, 1);
    // Not when the algorithm differs from the preferred one (Django does not protect that case).
    bcryptCalls = 0;
    await checkPassword("wrong", old, { params: { pbkdf2Iterations: 1 } });
    assert.equal(bcryptCalls, 1);
  });

  it("bcrypt refuses NUL bytes like pyca/bcrypt; bcrypt_sha256 pre-hashes them away", async () => {
    await assert.rejects(makePassword("a\0b", { algorithm: "bcrypt" }), InvalidArgumentError);
    const ok = await makePassword("a\0b", { algorithm: "bcrypt_sha256" });
    assert.equal((await checkPassword("a\0b", ok, { preferred: "bcrypt_sha256" })).ok, true);
  });

  it("a backend error on stored parameters is a malformed hash, not a crash", async () => {
    setPasswordHasherBackends({ argon2: { hashRaw: () => Promise.reject(new Error("memory")) } });
    const encoded = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
    const r = await checkPassword(PW, encoded, { params: { pbkdf2Iterations: 1 } });
    assert.deepEqual(r, { ok: false, mustUpdate: false, reason: "malformed-hash" });
    setPasswordHasherBackends({ argon2: spyArgon2 });
  });
});

describe("pySplit", () => {
  it("mirrors str.split(sep, maxsplit)", () => {
    assert.deepEqual(pySplit("a$b$c$d", "$", 2), ["a", "b", "c$d"]);
    assert.deepEqual(pySplit("a", "$", 3), ["a"]);
    assert.deepEqual(pySplit("$", "$", 1), ["", ""]);
  });
});
