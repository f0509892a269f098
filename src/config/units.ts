/**
 * Durations and sizes as users write them ("5s", "10M"). Kept apart from load-config.ts so that
 * other modules (CLI flags, the supervisor) can use them without loading yaml and zod.
 */

/**
 * Longest delay Node's timers honour: setTimeout treats anything larger as 1 ms, which would turn
 * a huge restart_delay into an instant restart loop, so we refuse it instead.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1

const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const SIZE_UNITS: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

/** "got ..." as printed in messages: JSON for strings so blanks and quotes show, plain otherwise. */
/** A plain map (YAML mapping, JS object), not null and not a list. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  return String(value)
}

/**
 * Milliseconds from a non-negative integer or a string like "500ms", "5s", "2m", "1h" (a bare
 * number string counts as ms, a fraction like "1.5s" is allowed). Throws a RangeError whose message
 * reads "expected ..., got ..." so callers can show it as is.
 */
export function parseDuration(value: number | string): number {
  let ms: number | undefined
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) ms = value
  } else if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(value.trim())
    if (match) ms = Math.round(Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms').toLowerCase()]!)
  }

  if (ms === undefined) throw new RangeError(`expected milliseconds, got ${describeValue(value)}`)
  if (ms > MAX_DURATION_MS) {
    throw new RangeError(`expected at most ${MAX_DURATION_MS} ms (about 24 days), got ${describeValue(value)}`)
  }

  return ms
}

/**
 * Bytes from a non-negative integer or a string like "512K", "10M", "10MB", "1G" (case-insensitive,
 * binary units: 1K = 1024). Throws a RangeError with an "expected ..., got ..." message.
 */
export function parseSize(value: number | string): number {
  let bytes: number | undefined
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) bytes = value
  } else if (typeof value === 'string') {
    // Accept "10M", "10MB" and "10MiB" alike, and a plain "1024" or "1024B".
    const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i.exec(value.trim())
    if (match) bytes = Math.round(Number(match[1]) * SIZE_UNITS[(match[2] ?? '').toLowerCase()]!)
  }

  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    throw new RangeError(`expected bytes or a size like "10M", got ${describeValue(value)}`)
  }

  return bytes
}
