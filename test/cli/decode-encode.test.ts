import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../support/cli.ts";
import { runDjango } from "../interop/django/peer.ts";

const SECRET = "test-secret-key-for-django-vectors";
const VECTOR = "eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA";
const PICKLE_HEX =
  "80049536000000000000007d94288c03666f6f948c03626172948c016e944b018c016c945d94284b018c0374776f944e88658c0175948c06c3a9f09f988094752e";

describe("sessionbridge decode", () => {
  it("decodes Django's reference value to one line of JSON", async () => {
    const r = await runCli(["decode", "--format", "django", "--secret", SECRET, VECTOR]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"foo":"bar"}\n');
  });

  it("reads the value from stdin with -", async () => {
    const r = await runCli(["decode", "--format", "django", "-"], {
      input: `${VECTOR}\n`,
      env: { SECRET_KEY: SECRET },
    });
    assert.equal(r.stdout, '{"foo":"bar"}\n');
  });

  it("exits 1 with a one-line typed reason on a bad signature, never echoing the secret", async () => {
    const r = await runCli(["decode", "--format", "django", "--secret", "wrong-secret", VECTOR]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /bad-signature/);
    assert.doesNotMatch(r.stderr + r.stdout, /wrong-secret/);
  });

  it("enforces --max-age and the signed_cookies default age", async () => {
    const r = await runCli([
      "decode",
      "--format",
      "django",
      "--secret",
      SECRET,
      "--max-age",
      "60",
      VECTOR,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /expired/);
  });

  it("accepts a fallback secret", async () => {
    const r = await runCli([
      "decode",
      "--format",
      "django",
      "--secret",
      "new",
      "--fallback-secret",
      SECRET,
      VECTOR,
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("decodes a django-redis pickle given as hex, with typed values", async () => {
    const r = await runCli(["decode", "--format", "pickle", "--hex", PICKLE_HEX]);
    assert.equal(r.stdout, '{"foo":"bar","n":1,"l":[1,"two",null,true],"u":"é😀"}\n');
  });

  it("refuses a pickle that names a dangerous global, naming it", async () => {
    // PROTO 2, GLOBAL 'os system', EMPTY_TUPLE, REDUCE, STOP — never executed.
    const evil = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.from("cos\nsystem\n", "latin1"),
      Buffer.from(")R.", "latin1"),
    ]);
    const r = await runCli(["decode", "--format", "pickle", "--hex", evil.toString("hex")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsupported-pickle-global: .*os\.system/);
  });

  it("exits 2 with usage for an unknown format or option", async () => {
    assert.equal((await runCli(["decode", "--format", "nope", "x"])).code, 2);
    assert.equal((await runCli(["decode", "--bogus"])).code, 2);
    assert.equal((await runCli(["frobnicate"])).code, 2);
  });

  it("a signed format without a secret (no --secret, SECRET_KEY unset or empty) is a usage error, exit 2", async () => {
    for (const env of [{}, { SECRET_KEY: "" }]) {
      for (const command of [
        ["decode", "--format", "django", VECTOR],
        ["encode", "--format", "flask", "--json", "{}"],
      ]) {
        const r = await runCli(command, { env });
        assert.equal(r.code, 2, `${command.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, /is signed: give the secret key with --secret or SECRET_KEY/);
      }
    }
  });

  it("--format pickle without --hex: a value that is not hex is told to be given as hex, exit 2", async () => {
    const r = await runCli(["decode", "--format", "pickle", "(dp0\nS'foo'"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format pickle reads bytes: give them hex-encoded and add --hex/);
    assert.doesNotMatch(r.stderr, /--hex input is not hex/);
    const withHex = await runCli(["decode", "--format", "pickle", "--hex", "zz"]);
    assert.equal(withHex.code, 1);
    assert.match(withHex.stderr, /malformed: --hex input is not hex/);
    // Hex without the flag still works: the format is binary.
    assert.equal((await runCli(["decode", "--format", "pickle", PICKLE_HEX])).code, 0);
  });

  it("the help's example decodes as printed (no truncated value)", async () => {
    const help = (await runCli(["decode", "--help"])).stdout;
    const example = /sessionbridge decode --format django --secret "\$SECRET_KEY" '([^']+)'/.exec(
      help,
    );
    assert.ok(example, help);
    const r = await runCli(["decode", "--format", "django", example[1]!], {
      env: { SECRET_KEY: SECRET },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"foo":"bar"}\n');
  });

  it("prints help with usage, options and examples", async () => {
    const r = await runCli(["decode", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: sessionbridge decode/);
    assert.match(r.stdout, /Examples:/);
  });
});

describe("sessionbridge encode", () => {
  it("round-trips every format through decode", async () => {
    const session =
      '{"user":"zoë","n":1,"when":{"$type":"datetime","value":"2024-01-02T03:04:05.123456+00:00"}}';
    for (const format of [
      "django",
      "django-cookie",
      "django-legacy",
      "flask",
      "starlette",
      "pickle",
    ]) {
      const json =
        format === "pickle"
          ? session
          : '{"user":"zoë","n":1,"t":{"$type":"tuple","value":[1,"a"]}}';
      const enc = await runCli([
        "encode",
        "--format",
        format,
        "--secret",
        "s3cret",
        "--json",
        json,
      ]);
      assert.equal(enc.code, 0, `${format}: ${enc.stderr}`);
      const dec = await runCli([
        "decode",
        "--format",
        format,
        "--secret",
        "s3cret",
        ...(format === "pickle" ? ["--hex"] : []),
        enc.stdout.trim(),
      ]);
      assert.equal(dec.code, 0, `${format}: ${dec.stderr}`);
      const expected = JSON.parse(json) as Record<string, unknown>;
      const got = JSON.parse(dec.stdout) as Record<string, unknown>;
      // JSON-only formats cannot keep a tuple a tuple: Python's json writes it as a list too.
      if (format === "flask" || format === "pickle") assert.deepEqual(got, expected, format);
      else assert.deepEqual(got, { ...expected, t: [1, "a"] }, format);
    }
  });

  it("writes a value real Django 5.2 and 3.2 decode", async () => {
    for (const version of ["5.2", "3.2"] as const) {
      const enc = await runCli([
        "encode",
        "--format",
        "django",
        "--secret",
        "cli-secret",
        "--json",
        '{"_auth_user_id":"1","cart":["a"]}',
      ]);
      const out = (await runDjango(version, ["decode", enc.stdout.trim()], {
        env: { SECRET_KEY: "cli-secret" },
      })) as {
        data: unknown;
      };
      assert.deepEqual(out.data, { _auth_user_id: "1", cart: ["a"] });
    }
  });

  it("refuses values plain JSON formats cannot hold, like Python's json", async () => {
    const r = await runCli([
      "encode",
      "--format",
      "django",
      "--secret",
      "s",
      "--json",
      '{"d":{"$type":"decimal","value":"1.5"}}',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not JSON serializable/);
  });
});
