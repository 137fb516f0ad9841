/**
 * What the pickle machine's stack can hold besides finished {@link PyValue}s. None of these may
 * survive into a result: the reader's final pass resolves or rejects them.
 */
import type { PyValue } from "../python-values.ts";

/** Behaviour of one allow-listed global. Pure functions over already-decoded arguments. */
export interface GlobalHandler {
  /** `REDUCE`: `callable(*args)`. */
  readonly reduce?: (args: readonly StackValue[]) => StackValue;
  /**
   * `NEWOBJ` (and `copyreg._reconstructor`): `cls.__new__(cls, *args)` followed by an optional
   * `BUILD` with `state` (`undefined` when the pickle has no `BUILD` for the object).
   */
  readonly newobj?: (args: readonly StackValue[], state: StackValue | undefined) => StackValue;
}

/** An allow-listed global pushed by `GLOBAL`/`STACK_GLOBAL`: a name and pure TS behaviour. */
export class GlobalRef {
  constructor(
    /** `module.qualname` as written in the pickle. */
    readonly name: string,
    readonly handler: GlobalHandler,
  ) {}
}

/** A `datetime.timezone` fixed offset, only meaningful as a `datetime` argument. */
export class TzOffset {
  constructor(readonly seconds: number) {}
}

/** An object made by `NEWOBJ` that waits for its `BUILD` state. */
export class Pending {
  done = false;
  value: StackValue = null;
  /** Memo slots holding this object, updated when it is built. */
  readonly memoSlots: number[] = [];
  constructor(
    readonly ref: GlobalRef,
    readonly args: readonly StackValue[],
  ) {}
}

/**
 * A set or frozenset under construction: a plain array until the final pass makes it a
 * `PySet`/`PyFrozenSet` (a JS `Set` costs several times an array to make, and a hostile pickle
 * of nothing but `EMPTY_SET`s must stay as cheap as one of `EMPTY_LIST`s).
 */
export class PendingSet {
  constructor(
    readonly frozen: boolean,
    readonly items: unknown[],
  ) {}
}

/** Anything on the unpickler's stack. */
export type StackValue =
  PyValue | GlobalRef | TzOffset | Pending | PendingSet | unknown[] | StackDict;

/**
 * A list or dict under construction holds any stack value. Typed loosely (`unknown`) because a
 * recursive union here sends typescript-eslint's no-unsafe-class-instance-assignment into
 * unbounded recursion; the reader's final pass checks every element.
 */
export interface StackDict {
  [key: string]: unknown;
}
