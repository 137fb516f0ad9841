/**
 * Pickle-specific subclasses of {@link SessionBridgeError}. They use codes already declared in
 * `src/errors.ts` (`unsupported-pickle-global`, `unsupported-pickle-opcode`), so callers can
 * switch on `err.code` without importing these classes.
 */
import { SessionBridgeError } from "../../errors.ts";

/** A pickle names a global (class or function) that is not on the allow-list. */
export class UnsupportedPickleGlobalError extends SessionBridgeError {
  static override readonly code = "unsupported-pickle-global";
  /** `module.qualname` as written in the pickle, e.g. `os.system`. */
  readonly global: string;
  constructor(global: string, message = `pickle global not allowed: ${global}`) {
    super(message);
    this.global = global;
  }
}

/** A pickle uses an opcode this codec does not implement (or refuses: INST, OBJ, PERSID, EXT*). */
export class UnsupportedPickleOpcodeError extends SessionBridgeError {
  static override readonly code = "unsupported-pickle-opcode";
  /** The opcode byte. */
  readonly opcode: number;
  constructor(opcode: number, name: string | undefined, offset: number) {
    const hex = `0x${opcode.toString(16).padStart(2, "0")}`;
    super(`pickle opcode not supported: ${name ?? "unknown"} (${hex}) at offset ${offset}`);
    this.opcode = opcode;
  }
}
