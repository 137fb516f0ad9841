/**
 * The Django apps `serve` honours beside `contrib.auth`, from their own settings names:
 * django-axes' shared lockout and access log, django-allauth's login record, user sessions list
 * and headless app-client token. Each is off unless its settings say the app is there.
 *
 * | variable                  | Django setting                          | default              |
 * | ------------------------- | --------------------------------------- | -------------------- |
 * | `AXES_ENABLED`            | `"axes"` in `INSTALLED_APPS`            | `False` (no axes)    |
 * | `AXES_FAILURE_LIMIT`      | `AXES_FAILURE_LIMIT`                    | 3                    |
 * | `AXES_COOLOFF_TIME`       | `AXES_COOLOFF_TIME` (hours)             | none (forever)       |
 * | `AXES_LOCKOUT_PARAMETERS` | `AXES_LOCKOUT_PARAMETERS`: comma-separated, a combination joined by `+` (`username+ip_address`) | `ip_address` |
 * | `AXES_RESET_ON_SUCCESS`   | `AXES_RESET_ON_SUCCESS`                 | `False`              |
 * | `AXES_DISABLE_ACCESS_LOG` | `AXES_DISABLE_ACCESS_LOG`               | `False`              |
 * | `ALLAUTH_APPS`            | the allauth apps in `INSTALLED_APPS`: `account`, `usersessions`, `headless` (comma-separated) | none |
 */
import type { AuthConfig } from "../../auth/config.ts";
import { AllauthLogins, type LoginRecorder } from "../../django/allauth.ts";
import { AxesLockout, type AxesParameter } from "../../django/axes.ts";
import { ConfigurationError } from "../../errors.ts";
import type { SqlDatabase } from "../../internal/sql/database.ts";
import { bool } from "./settings.ts";

/** What the apps add to `serve`: auth options and the session token header. */
export interface DjangoAppsSetup {
  readonly auth: Pick<AuthConfig, "lockout" | "loginRecorders">;
  /** `X-Session-Token` with allauth's `headless` app. */
  readonly sessionTokenHeader?: string;
  /** For the start line: which apps are honoured (`axes, allauth account`), or `none`. */
  readonly description: string;
}

const AXES_PARAMETERS: readonly AxesParameter[] = ["username", "ip_address", "user_agent"];
const ALLAUTH_APPS = ["account", "usersessions", "headless"] as const;

/**
 * Reads the apps' settings and makes their helpers on the users' database.
 * @throws {ConfigurationError} for a value that is not one of the setting's values.
 *
 * @example
 * ```ts
 * const apps = djangoAppsFromEnv({ AXES_ENABLED: "True", AXES_FAILURE_LIMIT: "5" }, database);
 * ```
 */
export function djangoAppsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  database: SqlDatabase,
): DjangoAppsSetup {
  const described: string[] = [];
  let lockout: AxesLockout | undefined;
  if (bool("AXES_ENABLED", env.AXES_ENABLED, false)) {
    lockout = new AxesLockout({
      database,
      ...(env.AXES_FAILURE_LIMIT
        ? { failureLimit: number("AXES_FAILURE_LIMIT", env.AXES_FAILURE_LIMIT) }
        : {}),
      ...(env.AXES_COOLOFF_TIME
        ? { cooloffHours: number("AXES_COOLOFF_TIME", env.AXES_COOLOFF_TIME) }
        : {}),
      ...(env.AXES_LOCKOUT_PARAMETERS
        ? { lockoutParameters: lockoutParameters(env.AXES_LOCKOUT_PARAMETERS) }
        : {}),
      resetOnSuccess: bool("AXES_RESET_ON_SUCCESS", env.AXES_RESET_ON_SUCCESS, false),
      accessLog: !bool("AXES_DISABLE_ACCESS_LOG", env.AXES_DISABLE_ACCESS_LOG, false),
    });
    described.push("axes");
  }
  const apps = new Set<string>();
  for (const item of (env.ALLAUTH_APPS ?? "").split(",")) {
    const app = item.trim().replace(/^allauth\./, "");
    if (app === "") continue;
    if (!(ALLAUTH_APPS as readonly string[]).includes(app)) {
      throw new ConfigurationError(
        `ALLAUTH_APPS lists allauth apps: ${ALLAUTH_APPS.join(", ")}; not "${app.slice(0, 30)}"`,
      );
    }
    apps.add(app);
  }
  const recorders: LoginRecorder[] = [];
  if (apps.has("account") || apps.has("usersessions")) {
    recorders.push(new AllauthLogins(apps.has("usersessions") ? { database } : {}));
  }
  if (apps.size > 0) described.push(`allauth ${[...apps].join("+")}`);
  return {
    auth: {
      ...(lockout === undefined ? {} : { lockout }),
      ...(recorders.length === 0 ? {} : { loginRecorders: recorders }),
    },
    ...(apps.has("headless") ? { sessionTokenHeader: "X-Session-Token" } : {}),
    description: described.length === 0 ? "none" : described.join(", "),
  };
}

function number(name: string, value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new ConfigurationError(`${name} must be a number, not "${value.slice(0, 20)}"`);
  }
  return n;
}

/** `username,ip_address` → two parameters; `username+ip_address` → one combination. */
function lockoutParameters(value: string): (AxesParameter | AxesParameter[])[] {
  return value.split(",").map((item) => {
    const parts = item.split("+").map((part) => part.trim());
    for (const part of parts) {
      if (!(AXES_PARAMETERS as readonly string[]).includes(part)) {
        throw new ConfigurationError(
          `AXES_LOCKOUT_PARAMETERS lists ${AXES_PARAMETERS.join(", ")} (a combination joined by +); not "${part.slice(0, 30)}"`,
        );
      }
    }
    const params = parts as AxesParameter[];
    return params.length === 1 ? (params[0] as AxesParameter) : params;
  });
}
