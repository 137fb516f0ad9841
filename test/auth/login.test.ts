// login / getSessionUser / logout / updateSessionAuthHash, rule by rule (django-formats.md §6.3-6.5),
// on MemoryStore sessions and a real SQLite auth schema.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANONYMOUS_USER,
  BACKEND_SESSION_KEY,
  HASH_SESSION_KEY,
  MODEL_BACKEND,
  SESSION_KEY,
  User,
  allowAllUsersModelBackend,
  authenticate,
  getSessionUser,
  login,
  logout,
  modelBackend,
  setPassword,
  updateSessionAuthHash,
  userSessionAuthHash,
  type AuthBackend,
} from "../../src/auth/index.ts";
import { legacySessionAuthHash, sessionAuthHash } from "../../src/auth/hashers/index.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { OLD_SECRET, SECRET, fixture, type Fixture } from "./support.ts";

async function loggedIn(f: Fixture, username: string): Promise<{ key: string; user: User }> {
  const user = (await f.users.getUserByUsername(username))!;
  const s = f.session();
  await login(s, user, f.config);
  await s.save();
  return { key: s.key!, user };
}

describe("login()", () => {
  it("anonymous session → cycle_key keeping its data, then the three auth keys", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const s = f.session();
    await s.set("cart", "3 apples");
    await s.save();
    const before = s.key!;
    const user = (await f.users.getUserByUsername("alice"))!;
    await login(s, user, f.config);
    await s.save();
    assert.notEqual(s.key, before, "key cycled");
    assert.equal(await f.store.load(before), null, "old record deleted");
    const data = await f.store.load(s.key!);
    assert.ok(data);
    assert.equal(data.get("cart"), "3 apples", "data kept");
    assert.equal(data.get(SESSION_KEY), "1", "id stored as a string");
    assert.equal(data.get(BACKEND_SESSION_KEY), MODEL_BACKEND);
    assert.equal(data.get(HASH_SESSION_KEY), sessionAuthHash(user.password, SECRET));
    assert.deepEqual(
      [...data.keys()],
      ["cart", SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY],
      "Django's key order",
    );
  });

  it("same user with a matching hash → no rotation at all", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key, user } = await loggedIn(f, "alice");
    const s = f.session(key);
    await s.set("note", "kept");
    await login(s, user, f.config);
    await s.save();
    assert.equal(s.key, key);
    assert.equal(await s.get("note"), "kept");
  });

  it("another user → flush (data dropped, old record deleted, new key)", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    await f.addUser("bob", "pw");
    const { key } = await loggedIn(f, "alice");
    const s = f.session(key);
    await s.set("alice-secret", "x");
    await s.save();
    const bob = (await f.users.getUserByUsername("bob"))!;
    await login(s, bob, f.config);
    await s.save();
    assert.notEqual(s.key, key);
    assert.equal(await f.store.load(key), null);
    assert.equal(await s.get("alice-secret"), undefined);
    assert.equal(await s.get(SESSION_KEY), "2");
  });

  it("same user whose stored hash differs (password changed) → flush", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key, user } = await loggedIn(f, "alice");
    const s = f.session(key);
    await s.set(HASH_SESSION_KEY, "0".repeat(64));
    await s.set("x", "dropped");
    await login(s, user, f.config);
    await s.save();
    assert.notEqual(s.key, key);
    assert.equal(await s.get("x"), undefined);
  });

  it("compares ids after to_python: a stored '01' is the same user 1", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key, user } = await loggedIn(f, "alice");
    const s = f.session(key);
    await s.set(SESSION_KEY, "01");
    await login(s, user, f.config);
    assert.equal(s.key, key, "no flush");
  });

  it("backend: argument, else user.backend, else the only backend, else an error", async () => {
    const f = await fixture({ backends: [modelBackend, allowAllUsersModelBackend] });
    await f.addUser("alice", "pw");
    const user = (await f.users.getUserByUsername("alice"))!;
    await assert.rejects(login(f.session(), user, f.config), ConfigurationError);
    const s = f.session();
    await login(s, user, { ...f.config, backend: allowAllUsersModelBackend.path });
    assert.equal(await s.get(BACKEND_SESSION_KEY), allowAllUsersModelBackend.path);
    const result = await authenticate({ username: "alice", password: "pw" }, f.config);
    assert.ok(result.ok);
    assert.equal(result.user.backend, MODEL_BACKEND);
    const s2 = f.session();
    await login(s2, result.user, f.config);
    assert.equal(await s2.get(BACKEND_SESSION_KEY), MODEL_BACKEND);
  });

  it("updates last_login in auth_user (naive UTC text, Django's format)", async () => {
    const now = Date.UTC(2024, 4, 6, 7, 8, 9, 120);
    const f = await fixture({ now: () => now });
    await f.addUser("alice", "pw");
    const user = (await f.users.getUserByUsername("alice"))!;
    await login(f.session(), user, f.config);
    const row = f.raw.prepare("SELECT last_login FROM auth_user WHERE id = 1").get() as {
      last_login: string;
    };
    assert.equal(row.last_login, "2024-05-06 07:08:09.120000");
    assert.equal((await f.users.getUser("1"))!.lastLogin?.getTime(), now);
  });
});

describe("getSessionUser()", () => {
  it("returns the logged-in user; anonymous without keys (session untouched)", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key } = await loggedIn(f, "alice");
    const user = await getSessionUser(f.session(key), f.config);
    assert.ok(user instanceof User);
    assert.equal(user.username, "alice");
    const empty = f.session();
    assert.equal(await getSessionUser(empty, f.config), ANONYMOUS_USER);
    assert.equal(empty.modified, false);
  });

  it("a password changed elsewhere → flush + anonymous (other sessions logged out)", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key, user } = await loggedIn(f, "alice");
    await setPassword(user, "new password", f.config);
    const s = f.session(key);
    assert.equal(await getSessionUser(s, f.config), ANONYMOUS_USER);
    assert.equal(s.key, null, "flushed");
    assert.equal(await f.store.load(key), null, "record deleted");
  });

  it("missing or empty hash → flush", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    for (const hash of [undefined, ""]) {
      const s = f.session();
      await s.update({ [SESSION_KEY]: "1", [BACKEND_SESSION_KEY]: MODEL_BACKEND });
      if (hash !== undefined) await s.set(HASH_SESSION_KEY, hash);
      await s.save();
      const key = s.key!;
      const again = f.session(key);
      assert.equal(await getSessionUser(again, f.config), ANONYMOUS_USER);
      assert.equal(again.key, null);
    }
  });

  it("backend not configured, deleted user, inactive user → anonymous, session NOT flushed", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key } = await loggedIn(f, "alice");

    const other: AuthBackend = { path: "myapp.Backend", getUser: () => Promise.resolve(null) };
    const s1 = f.session(key);
    assert.equal(await getSessionUser(s1, { ...f.config, backends: [other] }), ANONYMOUS_USER);
    assert.equal(s1.key, key);
    assert.equal(s1.modified, false);

    f.raw.prepare("UPDATE auth_user SET is_active = 0").run();
    const s2 = f.session(key);
    assert.equal(await getSessionUser(s2, f.config), ANONYMOUS_USER, "inactive");
    assert.equal(s2.key, key);
    assert.equal(await s2.get(SESSION_KEY), "1", "not flushed");
    // AllowAllUsersModelBackend restores inactive users (the stored path must match it).
    await s2.set(BACKEND_SESSION_KEY, allowAllUsersModelBackend.path);
    const back = await getSessionUser(s2, { ...f.config, backends: [allowAllUsersModelBackend] });
    assert.equal(back.isAuthenticated, true);

    f.raw.prepare("DELETE FROM auth_user").run();
    const s3 = f.session(key);
    assert.equal(await getSessionUser(s3, f.config), ANONYMOUS_USER, "deleted");
    assert.equal(s3.key, key);
  });

  it("a non-numeric id is anonymous, not a crash", async () => {
    const f = await fixture();
    const s = f.session();
    await s.update({ [SESSION_KEY]: "abc", [BACKEND_SESSION_KEY]: MODEL_BACKEND });
    assert.equal(await getSessionUser(s, f.config), ANONYMOUS_USER);
  });

  it("SECRET_KEY_FALLBACKS (4.2/5.2): old-key hash accepted, key cycled, hash rewritten", async () => {
    for (const djangoVersion of ["4.2", "5.2"] as const) {
      const f = await fixture({ djangoVersion });
      await f.addUser("alice", "pw");
      const user = (await f.users.getUser("1"))!;
      const s = f.session();
      await s.update({
        [SESSION_KEY]: "1",
        [BACKEND_SESSION_KEY]: MODEL_BACKEND,
        [HASH_SESSION_KEY]: sessionAuthHash(user.password, OLD_SECRET),
      });
      await s.save();
      const key = s.key!;
      const rotated = { ...f.config, secretKeyFallbacks: [OLD_SECRET] };
      const again = f.session(key);
      const found = await getSessionUser(again, rotated);
      assert.equal(found.username, "alice");
      assert.notEqual(again.key, key, "cycled");
      assert.equal(await again.get(HASH_SESSION_KEY), sessionAuthHash(user.password, SECRET));
      // Without the fallback it is a mismatch: logout.
      const third = f.session(again.key);
      await again.save();
      await third.set(HASH_SESSION_KEY, sessionAuthHash(user.password, OLD_SECRET));
      assert.equal(await getSessionUser(third, f.config), ANONYMOUS_USER);
    }
  });

  it("Django 3.2: fallbacks ignored, the legacy SHA-1 hash accepted and not rewritten", async () => {
    const f = await fixture({ djangoVersion: "3.2", secretKeyFallbacks: [OLD_SECRET] });
    await f.addUser("alice", "pw");
    const user = (await f.users.getUser("1"))!;
    const s = f.session();
    const legacy = legacySessionAuthHash(user.password, SECRET);
    await s.update({
      [SESSION_KEY]: "1",
      [BACKEND_SESSION_KEY]: MODEL_BACKEND,
      [HASH_SESSION_KEY]: legacy,
    });
    assert.equal((await getSessionUser(s, f.config)).username, "alice");
    assert.equal(await s.get(HASH_SESSION_KEY), legacy);
    await s.set(HASH_SESSION_KEY, sessionAuthHash(user.password, OLD_SECRET));
    assert.equal(await getSessionUser(s, f.config), ANONYMOUS_USER, "no fallbacks on 3.2");
  });

  it("Django 3.2 DEFAULT_HASHING_ALGORITHM=sha1: login stores the 40-hex hash", async () => {
    const f = await fixture({ djangoVersion: "3.2", hashingAlgorithm: "sha1" });
    await f.addUser("alice", "pw");
    const user = (await f.users.getUser("1"))!;
    const s = f.session();
    await login(s, user, f.config);
    assert.equal(await s.get(HASH_SESSION_KEY), legacySessionAuthHash(user.password, SECRET));
    assert.equal(userSessionAuthHash(user, f.config).length, 40);
    assert.equal((await getSessionUser(s, f.config)).username, "alice");
  });
});

describe("logout() and updateSessionAuthHash()", () => {
  it("logout flushes: data gone, record deleted", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const { key } = await loggedIn(f, "alice");
    const s = f.session(key);
    await logout(s);
    assert.equal(s.key, null);
    assert.deepEqual(await s.keys(), []);
    assert.equal(await f.store.load(key), null);
  });

  it("keeps this session after a password change, others are logged out", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const mine = await loggedIn(f, "alice");
    const other = await loggedIn(f, "alice");
    const s = f.session(mine.key);
    const user = (await getSessionUser(s, f.config)) as User;
    await setPassword(user, "changed", f.config);
    await updateSessionAuthHash(s, user, f.config);
    await s.save();
    assert.notEqual(s.key, mine.key, "cycled");
    assert.equal((await getSessionUser(f.session(s.key), f.config)).username, "alice");
    assert.equal(await getSessionUser(f.session(other.key), f.config), ANONYMOUS_USER);
  });

  it("does not set the hash when the session belongs to someone else", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    await f.addUser("bob", "pw");
    const { key } = await loggedIn(f, "alice");
    const s = f.session(key);
    const hashBefore = await s.get(HASH_SESSION_KEY);
    await updateSessionAuthHash(s, (await f.users.getUser("2"))!, f.config);
    assert.equal(await s.get(HASH_SESSION_KEY), hashBefore);
  });
});
