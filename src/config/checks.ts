/**
 * The `ready:` and `health:` maps of a process, as users write them:
 *
 *   ready:  {tcp: 5432 | "host:port", http: URL, exec: [argv], log: "regex", notify: true, timeout: 30s}
 *   health: {tcp | http | exec, interval: 10s, timeout: 2s, failures: 3}
 *
 * One check per map. Problems are reported at the key they are about, like every other field.
 */
import type {HealthCheck, ReadyCheck} from '../model/process-spec.js'

import {splitArgs} from './split-args.js'
import {closestKey} from './suggestions.js'
import {describeValue, isMap, parseDuration} from './units.js'

type Report = (message: string, path?: (number | string)[]) => void

export const READY_DEFAULTS = {timeout: 30_000}
export const HEALTH_DEFAULTS = {interval: 10_000, timeout: 2000, failures: 3}

const READY_CHECKS = ['tcp', 'http', 'exec', 'log', 'notify'] as const
const HEALTH_CHECKS = ['tcp', 'http', 'exec'] as const

type CheckKind = (typeof READY_CHECKS)[number]
// Distributed over the union, so each kind keeps its own fields.
type Target = ReadyCheck extends infer Check ? (Check extends unknown ? Omit<Check, 'timeout'> : never) : never

/** `5432`, `"5432"` or `"host:port"` (IPv6 in brackets: `"[::1]:5432"`); the host defaults to 127.0.0.1. */
function tcpTarget(value: unknown, report: Report): Target | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined
  const match = text === undefined ? null : /^(?:(\[[^\]]+\]|[^:\s]+):)?(\d{1,5})$/.exec(text)
  const port = match ? Number(match[2]) : Number.NaN
  if (!match || port < 1 || port > 65_535) {
    report(`expected a port (1 to 65535) or "host:port", got ${describeValue(value)}`, ['tcp'])
    return undefined
  }

  return {kind: 'tcp', host: match[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port}
}

function httpTarget(value: unknown, report: Report): Target | undefined {
  let url: undefined | URL
  try {
    if (typeof value === 'string') url = new URL(value)
  } catch {
    // reported below
  }

  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    report(`expected an http:// or https:// URL, got ${describeValue(value)}`, ['http'])
    return undefined
  }

  return {kind: 'http', url: url.href}
}

function execTarget(value: unknown, report: Report): Target | undefined {
  let argv: string[] | undefined
  if (typeof value === 'string') argv = splitArgs(value)
  else if (Array.isArray(value) && value.every((word) => typeof word === 'string' || typeof word === 'number')) {
    argv = value.map(String)
  }

  if (!argv || argv.length === 0 || argv[0]!.trim() === '') {
    report(
      `expected a command as a list of words, such as [pg_isready, -q] (no shell runs it), got ${describeValue(value)}`,
      ['exec'],
    )
    return undefined
  }

  return {kind: 'exec', argv}
}

function logTarget(value: unknown, report: Report): Target | undefined {
  if (typeof value !== 'string' || value === '') {
    report(`expected a regular expression that a line of the app's output matches, got ${describeValue(value)}`, [
      'log',
    ])
    return undefined
  }

  try {
    // eslint-disable-next-line no-new -- only to check that it compiles
    new RegExp(value)
  } catch (error) {
    report(`expected a regular expression: ${(error as Error).message}`, ['log'])
    return undefined
  }

  return {kind: 'log', pattern: value}
}

function notifyTarget(value: unknown, report: Report): Target | undefined {
  if (value !== true) {
    report(`expected true: the app says it is ready with process.send('ready'); got ${describeValue(value)}`, [
      'notify',
    ])
    return undefined
  }

  return {kind: 'notify'}
}

const TARGETS: Record<CheckKind, (value: unknown, report: Report) => Target | undefined> = {
  tcp: tcpTarget,
  http: httpTarget,
  exec: execTarget,
  log: logTarget,
  notify: notifyTarget,
}

/** The one check of a map, or undefined (reported) when there is none or more than one. */
function target(map: Record<string, unknown>, kinds: readonly CheckKind[], report: Report): Target | undefined {
  const given = kinds.filter((kind) => map[kind] !== undefined)
  if (given.length !== 1) {
    report(
      given.length === 0
        ? `expected one check: ${kinds.join(', ').replace(/, (\w+)$/, ' or $1')}`
        : `expected one check, got ${given.join(' and ')}; give one`,
    )
    return undefined
  }

  return TARGETS[given[0]!](map[given[0]!], report)
}

function unknownKeys(
  map: Record<string, unknown>,
  known: readonly string[],
  report: Report,
  otherKinds: readonly string[] = [],
): void {
  for (const key of Object.keys(map)) {
    if (known.includes(key)) continue
    if (otherKinds.includes(key)) {
      report(`unknown key; a health check is tcp, http or exec (log and notify tell readiness only)`, [key])
      continue
    }

    const near = closestKey(key, known)
    report(near ? `unknown key; did you mean "${near}"?` : `unknown key; expected ${known.join(', ')}`, [key])
  }
}

function durationAt(map: Record<string, unknown>, key: string, fallback: number, report: Report): number {
  const value = map[key]
  if (value === undefined || value === null) return fallback
  try {
    if (typeof value === 'string' || typeof value === 'number') return parseDuration(value)
  } catch (error) {
    report((error as Error).message, [key])
    return fallback
  }

  report(`expected milliseconds, got ${describeValue(value)}`, [key])
  return fallback
}

export function readyCheck(value: unknown, report: Report): ReadyCheck | undefined {
  if (!isMap(value)) return undefined
  unknownKeys(value, [...READY_CHECKS, 'timeout'], report)
  const found = target(value, READY_CHECKS, report)
  const timeout = durationAt(value, 'timeout', READY_DEFAULTS.timeout, report)
  return found && ({...found, timeout} as ReadyCheck)
}

export function healthCheck(value: unknown, report: Report): HealthCheck | undefined {
  if (!isMap(value)) return undefined
  unknownKeys(value, [...HEALTH_CHECKS, 'interval', 'timeout', 'failures'], report, ['log', 'notify'])
  const found = target(value, HEALTH_CHECKS, report)
  const interval = durationAt(value, 'interval', HEALTH_DEFAULTS.interval, report)
  const timeout = durationAt(value, 'timeout', HEALTH_DEFAULTS.timeout, report)
  let {failures} = HEALTH_DEFAULTS
  if (value.failures !== undefined) {
    if (typeof value.failures === 'number' && Number.isSafeInteger(value.failures) && value.failures >= 1)
      failures = value.failures
    else report(`expected a whole number of 1 or more, got ${describeValue(value.failures)}`, ['failures'])
  }

  return found && ({...found, interval, timeout, failures} as HealthCheck)
}
