/**
 * Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the text
 * between the first `{` and the next `}` when not empty), modulo 16384, as the Cluster
 * specification defines it. The ioredis adapter groups a batch's keys by the node serving their
 * slots, one pipeline per node.
 *
 * @example
 * ```ts
 * keySlot("foo"); // 12182
 * keySlot("{user1000}.following") === keySlot("{user1000}.followers"); // true
 * ```
 */
import { Buffer } from "node:buffer";

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

/**
 * The hash slot (0–16383) of a key (see the module notes).
 *
 * @example
 * ```ts
 * keySlot("123456789"); // 12739
 * ```
 */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, "utf8");
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}
