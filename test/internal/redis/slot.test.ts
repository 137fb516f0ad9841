// Redis Cluster hash slots: the Cluster specification's CRC16 vectors, hash tags, and agreement
// with a real cluster node's CLUSTER KEYSLOT is covered where the cluster runs
// (test/stores/contract.test.ts groups keys by it).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keySlot } from "../../../src/internal/redis/slot.ts";

describe("keySlot", () => {
  it("is CRC16-XMODEM modulo 16384, as the Cluster specification's examples", () => {
    assert.equal(keySlot("123456789"), 0x31c3 % 16384);
    assert.equal(keySlot("foo"), 12182);
    assert.equal(keySlot(""), 0);
    assert.equal(keySlot("é"), keySlot(Buffer.from("é", "utf8").toString("utf8")));
  });

  it("hashes only a non-empty {hash tag}", () => {
    assert.equal(keySlot("{user1000}.following"), keySlot("user1000"));
    assert.equal(keySlot("{user1000}.followers"), keySlot("{user1000}.following"));
    assert.equal(keySlot("foo{}{bar}"), keySlot("foo{}{bar}"));
    assert.notEqual(keySlot("foo{}{bar}"), keySlot("bar"), "an empty tag: the whole key");
    assert.equal(keySlot("foo{{bar}}zap"), keySlot("{bar"));
    assert.equal(keySlot("foo{bar}{zap}"), keySlot("bar"));
  });
});
