/**
 * A byte-compatible TypeScript port of Python's itsdangerous 2.x signing layer
 * (flask-starlette-formats.md §1): `Signer`, `TimestampSigner` and the four serializers.
 *
 * @example
 * ```ts
 * import { URLSafeTimedSerializer } from "./codecs/itsdangerous/index.ts";
 * const s = new URLSafeTimedSerializer("secret", { salt: "activate" });
 * const token = s.dumps({ user: 42 });
 * s.loads(token, { maxAge: 3600 }); // { user: 42 }
 * ```
 */
export {
  base64Decode,
  base64Encode,
  bytesToInt,
  intToBytes,
  pythonA2bBase64,
  wantBytes,
  type Secret,
} from "./encoding.ts";
export {
  Signer,
  deriveKey,
  type DigestMethod,
  type KeyDerivation,
  type SecretKeys,
  type SignerOptions,
  type SigningAlgorithm,
} from "./signer.ts";
export {
  TimestampSigner,
  currentTimestamp,
  type TimestampUnsignOptions,
  type TimestampedValue,
} from "./timed.ts";
export {
  Serializer,
  TimedSerializer,
  URLSafeSerializer,
  URLSafeTimedSerializer,
  compactJsonSerializer,
  pythonJsonSerializer,
  type DumpsOptions,
  type FallbackSigner,
  type JsonValue,
  type LoadsOptions,
  type SerializerOptions,
  type SignerClass,
  type TextSerializer,
  type TimedLoadsOptions,
  type URLSafeSerializerOptions,
} from "./serializer.ts";
