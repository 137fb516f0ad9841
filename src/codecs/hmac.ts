/**
 * HMAC (RFC 2104) with a fixed key, for the signers that verify a cookie or session value on
 * every request.
 *
 * ```
 * HMAC(K, text) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ text))        RFC 2104 §2
 * K' = K zero-padded to the hash's block size B, or H(K) padded when K is longer than B
 * ipad = 0x36 × B, opad = 0x5c × B
 * ```
 *
 * Why not `createHmac(alg, key).update(text).digest()`: that builds a native HMAC context and
 * a JS object per call, and re-hashes the two padded key blocks every time; for the 100–400
 * byte values signed here that overhead is most of the cost (~2.2 µs against ~1.2 µs for this
 * module on the reference VM, see bench/django-codec.bench.ts). Here the padded keys are built
 * once, and each MAC is two one-shot `crypto.hash` calls over preallocated buffers; the digest
 * crosses into JS as a short string, which costs less than a Buffer. The output is bit-for-bit
 * HMAC (tests compare against `createHmac` on random keys and texts).
 *
 * The implementation lives behind the runtime seam (`#runtime`, src/runtime/): on Node the
 * padded-key `crypto.hash` construction above; on the Web runtimes the same construction over
 * the synchronous hashes of `@noble/hashes` (src/runtime/sha.ts).
 */
export { HmacKey } from "#runtime";
export type { HashAlgorithm as HmacAlgorithm } from "#runtime";
