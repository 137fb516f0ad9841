// Django's messages formats against values real Django 5.2 made (CookieStorage._encode and
// SessionStorage.serialize_messages); the both-ways HTTP proof is test/interop/django/messages.test.ts.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  DjangoMessageCookie,
  DjangoMessages,
  decodeSessionMessages,
  encodeSessionMessages,
  messageTags,
  type DjangoMessage,
} from "../../src/django/messages.ts";
import { ConfigurationError, MalformedError } from "../../src/errors.ts";

const SECRET = "unit-test-secret-key-messages-0123456789abcdefghij";
const MESSAGES: DjangoMessage[] = [
  { level: 25, message: "Saved — ok", extraTags: "big", safe: false },
  { level: 40, message: "<b>x</b>", extraTags: null, safe: true },
  { level: 20, message: "plain", extraTags: null, safe: false },
];
// Made by Django 5.2 with that SECRET_KEY (the timestamp is part of the signed value).
const DJANGO_COOKIE =
  ".eJyLjlaKj88qzs-Lz00tLk5MT1XSMdAxMtVRCk4sS01RiCk1MjA0UcjPVtJRSspMV4rVwVRvqGNioKNkk2RXYaOfZIdVCdBIoJKCnMTMPKXYWABOziQJ:1xackF:61kHN2fj_zLVGHGYe3gEyOW_Hrd26wGStvQVi2wP1As";
const DJANGO_SESSION_VALUE =
  '[["__json_message", 0, 25, "Saved \\u2014 ok", "big"], ["__json_message", 1, 40, "<b>x</b>"], ["__json_message", 0, 20, "plain"]]';

describe("Django messages formats", () => {
  it("the session value is Django's serialize_messages, both ways", () => {
    assert.equal(encodeSessionMessages(MESSAGES), DJANGO_SESSION_VALUE);
    assert.deepEqual(decodeSessionMessages(DJANGO_SESSION_VALUE), MESSAGES);
    assert.throws(() => decodeSessionMessages('[["nope"]]'), MalformedError);
    assert.throws(() => decodeSessionMessages("{"), MalformedError);
  });

  it("reads Django's signed cookie, and Django reads ours (interop/django/messages.test.ts)", () => {
    const cookie = new DjangoMessageCookie({ secret: SECRET });
    assert.deepEqual(cookie.decode(DJANGO_COOKIE), { messages: MESSAGES, allRetrieved: true });
    const ours = cookie.encode(MESSAGES);
    assert.deepEqual(cookie.decode(ours), { messages: MESSAGES, allRetrieved: true });
    assert.equal(cookie.decode(DJANGO_COOKIE.replace(/.$/, "x")), null, "a bad signature");
    assert.equal(new DjangoMessageCookie({ secret: "other-secret" }).decode(DJANGO_COOKIE), null);
    const rotated = new DjangoMessageCookie({ secret: "new-secret", fallbackSecrets: [SECRET] });
    assert.equal(rotated.decode(DJANGO_COOKIE)?.messages.length, 3, "SECRET_KEY_FALLBACKS");
  });

  it("keeps the cookie within 2048 bytes with the not-finished sentinel", () => {
    const cookie = new DjangoMessageCookie({ secret: SECRET, secure: true, sameSite: "Strict" });
    const many = Array.from({ length: 40 }, (_, i): DjangoMessage => ({
      level: 20,
      message: `${i} ${randomBytes(60).toString("base64")}`, // incompressible
      extraTags: "",
      safe: false,
    }));
    const newest = cookie.store(many, true);
    const value = /^messages=([^;]+)/.exec(newest.setCookie)![1]!;
    assert.ok(value.length <= 2048);
    assert.match(newest.setCookie, /HttpOnly/);
    assert.match(newest.setCookie, /Secure/);
    assert.match(newest.setCookie, /SameSite=Strict/);
    const kept = cookie.decode(value)!;
    assert.equal(kept.allRetrieved, false);
    assert.deepEqual([...newest.unstored, ...kept.messages], many, "the oldest are dropped");
    const oldest = cookie.store(many, false);
    const kept2 = cookie.decode(/^messages=([^;]+)/.exec(oldest.setCookie)![1]!)!;
    assert.deepEqual([...kept2.messages, ...oldest.unstored], many, "the newest go on");
    assert.match(cookie.store([]).setCookie, /^messages=; Max-Age=0;/);
  });

  it("tags and levels as Django's Message.tags and MESSAGE_LEVEL", async () => {
    assert.equal(messageTags(MESSAGES[0]!), "big success");
    assert.equal(messageTags(MESSAGES[1]!), "error");
    assert.equal(messageTags(MESSAGES[1]!, { 40: "danger" }), "danger");
    const box = new DjangoMessages({ storage: "cookie", cookie: { secret: SECRET } }).open({});
    box.add(10, "debug, below MESSAGE_LEVEL");
    box.add(20, "");
    assert.deepEqual(await box.list(), []);
    assert.equal(
      (await box.commit())[0]?.startsWith("messages=; Max-Age=0"),
      true,
      "used: cleared",
    );
  });

  it("refuses a storage it does not know, and a cookie storage without a secret", () => {
    assert.throws(() => new DjangoMessages({ storage: "nope" as "cookie" }), ConfigurationError);
    assert.throws(() => new DjangoMessages({ storage: "cookie" }), ConfigurationError);
    assert.throws(() => new DjangoMessages({ storage: "session" }).open({}), ConfigurationError);
  });
});
