/**
 * Constant-time string equality for signatures.
 *
 * Signatures are compared as their base64 text: building two Buffers per request only to call
 * `crypto.timingSafeEqual` costs more than the comparison itself. The loop below always visits
 * every character of `expected` and folds differences with OR, so its time depends on the
 * length of the (public) expected signature, never on where the strings differ.
 */

/**
 * `true` when `given` equals `expected`, in time independent of their contents.
 *
 * @example
 * ```ts
 * constantTimeEqual(expectedSignature, signatureFromCookie);
 * ```
 */
export function constantTimeEqual(expected: string, given: string): boolean {
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) {
    // charCodeAt past the end is NaN, and NaN | 0 === 0: the length check above catches it.
    diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  }
  return diff === 0;
}
