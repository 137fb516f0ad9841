/**
 * Django's base62 timestamps (`django.core.signing.b62_encode`; `utils.baseconv.base62` in 3.2):
 * alphabet `0-9A-Za-z`, most significant digit first, `0` → `"0"`, negatives prefixed `-`.
 */
import { InvalidArgumentError, MalformedError } from "../errors.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Digit value by char code (-1: not a base62 digit). */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** @example base62Encode(1700000000) // "1r31eq" */
export function base62Encode(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("base62Encode needs a safe integer");
  if (n === 0) return "0";
  let rest = Math.abs(n);
  let out = "";
  while (rest > 0) {
    out = ALPHABET[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return n < 0 ? `-${out}` : out;
}

/**
 * @throws {MalformedError} on an empty string, a foreign character or an unsafe magnitude.
 * @example base62Decode("1r31eq") // 1700000000
 */
export function base62Decode(text: string): number {
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  if (digits.length === 0 || digits.length > 9)
    throw new MalformedError("Invalid base62 timestamp");
  let n = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    const d = c < 128 ? DIGIT[c]! : -1;
    if (d < 0) throw new MalformedError("Invalid base62 timestamp");
    n = n * 62 + d;
  }
  return negative ? -n : n;
}
