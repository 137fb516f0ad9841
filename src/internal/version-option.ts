/**
 * The one way a store, the engine or a policy reads its "which upstream release" option. Every
 * such knob is named after the project it imitates (`djangoVersion`, `flaskVersion`,
 * `flaskSessionVersion`, `flaskLoginVersion`, `starletteVersion`); a name it had before
 * (`version`, `behaviour`) keeps working as a deprecated alias. An unknown value is a
 * `ConfigurationError` naming the accepted ones, never a silent fallback.
 */
import { ConfigurationError } from "../errors.ts";

/** What {@link versionOption} reads: the option's name and value, and its deprecated alias's. */
export interface VersionOptionSpec<V extends string> {
  /** The option's name, for messages (`starletteVersion`). */
  readonly name: string;
  readonly value: V | undefined;
  /** The deprecated name (`behaviour`) and the value given under it, if the option has one. */
  readonly alias?: { readonly name: string; readonly value: V | undefined };
  /** The releases this option accepts. */
  readonly allowed: readonly V[];
  /** The value when neither name is given; none makes the option required. */
  readonly fallback?: V;
}

/**
 * The version a policy follows: the option, else its deprecated alias, else the fallback.
 * @throws {ConfigurationError} when both names are given and disagree, when the option is
 * required and missing, or when the value is not one of `allowed`.
 *
 * @example
 * ```ts
 * versionOption({ name: "flaskVersion", value: options.flaskVersion, allowed: ["2.2", "3.1"], fallback: "3.1" });
 * ```
 */
export function versionOption<V extends string>(spec: VersionOptionSpec<V>): V {
  const { name, value, alias, allowed } = spec;
  if (
    alias !== undefined &&
    value !== undefined &&
    alias.value !== undefined &&
    value !== alias.value
  ) {
    throw new ConfigurationError(
      `${name} and ${alias.name} (its deprecated name) disagree: give ${name} only`,
    );
  }
  const chosen = value ?? alias?.value ?? spec.fallback;
  const quoted = allowed.map((v) => `"${v}"`);
  const choices =
    quoted.length <= 2
      ? quoted.join(" or ")
      : `one of ${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  if (chosen === undefined) throw new ConfigurationError(`${name} is required: ${choices}`);
  if (!allowed.includes(chosen)) {
    const given = typeof chosen === "string" ? `"${chosen.slice(0, 20)}"` : typeof chosen;
    throw new ConfigurationError(`${name} must be ${choices}, not ${given}`);
  }
  return chosen;
}
