/**
 * What makes `instances`, `increment_var` and `listen` wrong together with the rest of an entry:
 * what no single key can tell.
 */
import type {HealthCheck, ReadyCheck} from '../model/process-spec.js'
import type {ListenEntry} from './listen.js'

import {describeListen} from '../model/listen.js'

export interface EntryProblem {
  /** The key the problem is about, under the entry. */
  key: string
  message: string
}

interface Entry {
  env?: Record<string, string>
  health?: HealthCheck
  increment_var?: string
  listen?: ListenEntry[]
  ready?: ReadyCheck
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/** The port and host a tcp or http check connects to, if it is one. */
function checkedAddress(check: HealthCheck | ReadyCheck): undefined | {host: string; port: number} {
  if (check.kind === 'tcp') return {host: check.host, port: check.port}
  if (check.kind !== 'http') return undefined
  const url = new URL(check.url)
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  return {host: url.hostname.replaceAll(/^\[|\]$/g, ''), port}
}

/** The listen address a check would reach, where the kernel queues every connect for any instance. */
function sharedAddress(check: HealthCheck | ReadyCheck, listen: ListenEntry[]): ListenEntry | undefined {
  const target = checkedAddress(check)
  if (!target) return undefined
  return listen.find(
    (entry) =>
      entry.kind === 'tcp' &&
      entry.port === target.port &&
      (entry.host === undefined || entry.host === target.host || LOOPBACK.has(target.host)),
  )
}

export function instanceProblems(entry: Entry): EntryProblem[] {
  const problems: EntryProblem[] = []
  if (entry.increment_var !== undefined) {
    const value = entry.env?.[entry.increment_var]
    if (value === undefined || !/^\d+$/.test(value)) {
      problems.push({
        key: 'increment_var',
        message: `increment_var adds the instance number to env.${entry.increment_var}, so env needs ${entry.increment_var} set to a whole number (the value of instance 0)${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`,
      })
    }
  }

  for (const key of ['ready', 'health'] as const) {
    const check = entry[key]
    const shared = check && entry.listen && sharedAddress(check, entry.listen)
    if (shared) {
      problems.push({
        key,
        message: `this check reaches ${describeListen(shared)}, which tspm holds for every instance (the kernel accepts the connect for any of them), so it cannot tell whether this instance is ready; use notify, log, exec, or a check on a port of the instance's own (for example one set with increment_var)`,
      })
    }
  }

  return problems
}
