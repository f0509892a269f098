/**
 * When `tspm run` ends by itself: once no app runs or will run again (every process is stopped or
 * errored), the container's work is over. Exit 1 when one of them is errored (it crashed
 * max_restarts times in a row, or cannot start), so the orchestrator sees the failure; exit 0 when
 * all ended cleanly (autorestart: false, or stop_exit_codes), or were stopped by hand.
 */
import type {ProcessSnapshot} from '../model/api.js'
import type {Clock} from './clock.js'

import {ACTIVE_STATUSES} from '../model/active-statuses.js'
import {ExitCode} from '../model/exit-codes.js'

/**
 * How long the table must stay without a running app: a restart of several apps passes through
 * "all stopped" between its stops and its starts.
 */
const SETTLE_MS = 250

export interface AppsEnded {
  code: number
  message: string
}

export class AppsEndedWatch {
  private armed: ((ended: AppsEnded) => void) | undefined
  private timer: unknown

  constructor(
    private readonly snapshots: () => ProcessSnapshot[],
    private readonly clock: Clock,
  ) {}

  /** Resolves once every app has ended and stayed so for a moment; checked after each change from now on. */
  whenEnded(): Promise<AppsEnded> {
    return new Promise((resolve) => {
      this.armed = resolve
      this.changed()
    })
  }

  /** Something in the table changed (the supervisor's observer). */
  changed(): void {
    if (!this.armed) return
    if (!this.allEnded()) {
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
      this.timer = undefined
      return
    }

    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined
      if (!this.armed || !this.allEnded()) return
      const resolve = this.armed
      this.armed = undefined
      resolve(this.outcome())
    }, SETTLE_MS)
  }

  private allEnded(): boolean {
    return this.snapshots().every((entry) => !ACTIVE_STATUSES.has(entry.status) && entry.status !== 'stopping')
  }

  private outcome(): AppsEnded {
    const processes = this.snapshots()
    const errored = processes.filter((entry) => entry.status === 'errored')
    if (errored.length > 0) {
      const names = errored.map((entry) => entry.id).join(', ')
      const why = errored.map((entry) => entry.last_error ?? `${entry.id} cannot start`).join('; ')
      return {
        code: ExitCode.failure,
        message: `every app has ended, and ${names} ${errored.length === 1 ? 'is' : 'are'} errored (${why}); stopping (exit ${ExitCode.failure})`,
      }
    }

    const ended =
      processes.length === 0
        ? 'no app is left to run'
        : `every app has ended (${processes.map((entry) => `${entry.id}: ${howEnded(entry)}`).join(', ')})`
    return {code: ExitCode.ok, message: `${ended}; stopping (exit ${ExitCode.ok})`}
  }
}

function howEnded(entry: ProcessSnapshot): string {
  const exit = entry.last_exit
  if (!exit) return 'not started (autostart: false)'
  if (entry.desired === 'stopped') return 'stopped'
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`
}
