/**
 * Slot setters, in the spirit of nginx's `ngx_conf_set_*_slot`: each parses one kind of value
 * (flag, size, time, number, path, enum), checks its bounds, and stores it in one field. Every
 * message is built from the directive's name, in nginx's wording.
 */
import { resolve } from "node:path";
import { type Apply, innermost, issuerOf, type Scope, serverOf, upstreamOf } from "./directive.ts";
import type {
  AcmeIssuerSettings,
  Limits,
  SessionSettings,
  Settings,
  UpstreamSettings,
} from "./types.ts";
import { formatSize, formatTime, parseSize, parseTime } from "./units.ts";

/** Which object of the scope a slot writes into. */
export type Target<T> = (scope: Scope) => Partial<T>;

/** The innermost block's settings (inherited main → server → location). */
export const SETTINGS: Target<Settings> = (scope) => innermost(scope).settings;
/** The server's session settings. */
export const SESSIONS: Target<SessionSettings> = (scope) => serverOf(scope).sessions;
/** The `upstream` block's own settings. */
export const UPSTREAM: Target<UpstreamSettings> = (scope) => upstreamOf(scope);
/** The `acme_issuer` block's settings. */
export const ISSUER: Target<AcmeIssuerSettings> = (scope) => issuerOf(scope);
/** The configuration's limits (main context). */
export const LIMITS: Target<Limits> = (scope) => scope.main.limits;

/** The fields of T whose type accepts V. */
type FieldOf<T, V> = { [K in keyof T]-?: V extends T[K] ? K : never }[keyof T] & string;

/** Inclusive bounds of a numeric value; both optional. */
export interface Bounds {
  min?: number;
  max?: number;
}

/** 24 days: the longest delay a timer can hold is about 24.8 days (2^31 - 1 ms). */
export const MAX_TIMER_MS = 24 * 86_400_000;

function store<T>(target: Target<T>, field: keyof T, scope: Scope, value: unknown): void {
  (target(scope) as Record<keyof T, unknown>)[field] = value;
}

/** The bound a value breaks, in the words of the message, or null when it is within them. */
function outOf(value: number, bounds: Bounds, format: (n: number) => string): string | null {
  const { min, max } = bounds;
  if ((min === undefined || value >= min) && (max === undefined || value <= max)) return null;
  if (min !== undefined && max !== undefined) {
    return `it must be between ${format(min)} and ${format(max)}`;
  }
  return min !== undefined
    ? `it must be at least ${format(min)}`
    : `it must be at most ${format(max!)}`;
}

/** A parser for one argument: the value, or null when the text is not one. */
type Parse = (text: string) => number | null;

/** A numeric slot: parse, check bounds, store (through `convert`). */
function numeric<T>(
  target: Target<T>,
  field: keyof T,
  parse: Parse,
  invalid: string,
  bounds: Bounds,
  format: (n: number) => string,
  convert: (n: number) => number = (n) => n,
): Apply {
  return (scope, [text = ""], env) => {
    const value = parse(text);
    if (value === null) throw env.error(`"${env.name}" directive ${invalid}`);
    const broken = outOf(value, bounds, format);
    if (broken !== null) {
      throw env.error(`invalid value "${text}" in "${env.name}" directive, ${broken}`);
    }
    store(target, field, scope, convert(value));
  };
}

/** `on` or `off`, in any case (ngx_conf_set_flag_slot). */
export function flagSlot<T>(target: Target<T>, field: FieldOf<T, boolean>): Apply {
  return (scope, [text = ""], env) => {
    const lower = text.toLowerCase();
    if (lower !== "on" && lower !== "off") {
      throw env.error(
        `invalid value "${text}" in "${env.name}" directive, it must be "on" or "off"`,
      );
    }
    store(target, field, scope, lower === "on");
  };
}

/** A size: `512`, `8k`, `1m`, `2g` (ngx_conf_set_size_slot), in bytes. */
export function sizeSlot<T>(target: Target<T>, field: FieldOf<T, number>, bounds: Bounds = {}) {
  return numeric(target, field, parseSize, "invalid value", bounds, formatSize);
}

/**
 * A time: `500ms`, `30s`, `1m30s`, a bare number of seconds (ngx_conf_set_msec_slot), stored in
 * milliseconds, or in whole seconds with `seconds: true` (ngx_conf_set_sec_slot). At most 24 days
 * unless `max` says otherwise: longer delays do not fit a timer.
 */
export function timeSlot<T>(
  target: Target<T>,
  field: FieldOf<T, number>,
  { min = 0, max = MAX_TIMER_MS, seconds = false }: Bounds & { seconds?: boolean } = {},
): Apply {
  const convert = seconds ? (ms: number) => Math.floor(ms / 1000) : undefined;
  return numeric(target, field, parseTime, "invalid value", { min, max }, formatTime, convert);
}

/** A whole number (ngx_conf_set_num_slot), from 1 unless `min` says otherwise. */
export function numberSlot<T>(
  target: Target<T>,
  field: FieldOf<T, number>,
  { min = 1, max = 999_999_999 }: Bounds = {},
): Apply {
  const parse = (text: string) => /^\d{1,15}$/.test(text) ? Number(text) : null;
  return numeric(target, field, parse, "invalid number", { min, max }, String);
}

/** A path, resolved against the configuration file's directory; `off` stores null when allowed. */
export function pathSlot<T>(
  target: Target<T>,
  field: FieldOf<T, string | null>,
  { off = false }: { off?: boolean } = {},
): Apply {
  return (scope, [text = ""], env) => {
    if (text === "") throw env.error(`invalid path "" in "${env.name}" directive`);
    store(target, field, scope, off && text === "off" ? null : resolve(env.dir, text));
  };
}

/** One of a fixed set of words (ngx_conf_set_enum_slot). */
export function enumSlot<T, V extends string>(
  target: Target<T>,
  field: FieldOf<T, V>,
  values: readonly V[],
): Apply {
  return (scope, [text = ""], env) => {
    const value = values.find((v) => v === text.toLowerCase());
    if (value === undefined) {
      const list = values.map((v) => `"${v}"`).join(", ");
      throw env.error(
        `invalid value "${text}" in "${env.name}" directive, it must be one of ${list}`,
      );
    }
    store(target, field, scope, value);
  };
}
