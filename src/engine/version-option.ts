/**
 * The one way a policy reads its "which upstream release" option. Every such knob is named after
 * the project it imitates (`djangoVersion`, `flaskSessionVersion`, `flaskLoginVersion`,
 * `starletteVersion`); a name it had before (`version`, `behaviour`) keeps working as a
 * deprecated alias.
 */
import { ConfigurationError } from "../errors.ts";

/** What {@link versionOption} reads: the option's name and value, and its deprecated alias's. */
export interface VersionOptionSpec<V extends string> {
  /** The option's name, for messages (`starletteVersion`). */
  readonly name: string;
  readonly value: V | undefined;
  /** The deprecated name (`behaviour`) and the value given under it. */
  readonly alias: { readonly name: string; readonly value: V | undefined };
  /** The releases this option accepts. */
  readonly allowed: readonly V[];
  /** The value when neither name is given; none makes the option required. */
  readonly fallback?: V;
}

/**
 * The version a policy follows: the option, else its deprecated alias, else the fallback.
 * @throws {ConfigurationError} when both names are given and disagree, when the option is
 * required and missing, or when the value is not one of `allowed`.
 */
export function versionOption<V extends string>(spec: VersionOptionSpec<V>): V {
  const { name, value, alias, allowed } = spec;
  if (value !== undefined && alias.value !== undefined && value !== alias.value) {
    throw new ConfigurationError(
      `${name} and ${alias.name} (its deprecated name) disagree: give ${name} only`,
    );
  }
  const chosen = value ?? alias.value ?? spec.fallback;
  const choices = allowed.map((v) => `"${v}"`).join(" or ");
  if (chosen === undefined) throw new ConfigurationError(`${name} is required: ${choices}`);
  if (!allowed.includes(chosen)) throw new ConfigurationError(`${name} must be ${choices}`);
  return chosen;
}
