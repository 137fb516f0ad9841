/**
 * MD5, SHA-1 and the SHA-2 family, synchronous, for the Web runtimes, where the only native hash
 * (`crypto.subtle.digest`) is asynchronous and the codecs' signing API is not: the audited
 * `@noble/hashes` (plain JavaScript, no dependency, constant-time compression functions), here
 * named as `node:crypto` names them. Node never loads this file (runtime/node.ts uses
 * `node:crypto`).
 *
 * HMAC keys keep the state after their padded key blocks (noble's `_HMAC`, the class of its
 * `hmac.create`, copied into one reused context per message), so a MAC costs the message blocks plus one outer block, as a native HMAC context
 * does. Checked bit for bit against `node:crypto` on random inputs (test/runtime/sha.test.ts).
 * @module
 */
import { _HMAC } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha224, sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { CHash, Hash } from "@noble/hashes/utils.js";

/** The hash algorithms the runtime seam offers. */
export type HashAlgorithm = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

const HASHES: Readonly<Record<HashAlgorithm, CHash>> = Object.freeze({
  __proto__: null,
  md5,
  sha1,
  sha224,
  sha256,
  sha384,
  sha512,
});

/** Every {@link HashAlgorithm}. */
export const HASH_ALGORITHMS = Object.freeze(Object.keys(HASHES) as HashAlgorithm[]);

/** Whether `name` is one of {@link HASH_ALGORITHMS}. */
export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return Object.prototype.hasOwnProperty.call(HASHES, name);
}

/** `H(data)`. */
export function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return HASHES[algorithm](data);
}

/** A hash state of any of the algorithms (noble's own HMAC types it so). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the self-referential Hash type needs a named interface
interface AnyHash extends Hash<AnyHash> {}

/**
 * HMAC (RFC 2104) with the two padded key blocks folded in once: each {@link HmacState.mac}
 * hashes the message and one outer block.
 */
export class HmacState {
  /** The keyed state, never updated. */
  readonly #keyed: _HMAC<AnyHash>;
  /** Where each MAC runs: the keyed state copied in, no allocation per call. */
  readonly #work: _HMAC<AnyHash>;

  constructor(algorithm: HashAlgorithm, key: Uint8Array) {
    this.#keyed = new _HMAC<AnyHash>(HASHES[algorithm], key);
    this.#work = this.#keyed.clone();
  }

  /** `HMAC(K, data)`. */
  mac(data: Uint8Array): Uint8Array {
    return this.#keyed._cloneInto(this.#work).update(data).digest();
  }
}
