import type {HealthCheck} from '../model/process-spec.js'
import type {Clock} from './clock.js'

import {type CheckResult, describeCheck, probe, type ProbeContext} from './checks.js'

export interface HealthState {
  ok: boolean
  /** When the last check ended (epoch ms). */
  at: number
  /** Failures in a row; 0 after a success. */
  failures: number
  message: string
}

export interface HealthMonitorDeps {
  clock: Clock
  context: ProbeContext
  /** Every check's outcome, for `list --json`. */
  onResult(state: HealthState): void
  /** `failures` checks in a row failed: the message names the check and its last error. */
  onUnhealthy(message: string): void
}

/**
 * The health checks of one run, while it is online: one every `interval`, each within `timeout`,
 * never two at once. `failures` failures in a row call onUnhealthy (which restarts the app), once.
 */
export class HealthMonitor {
  private timer: unknown
  private failures = 0
  private stopped = false
  /** Ends the check in flight when the monitor stops (the app stops or restarts). */
  private checkStop: AbortController | undefined

  constructor(
    private readonly check: HealthCheck,
    private readonly deps: HealthMonitorDeps,
  ) {}

  start(): void {
    this.stopped = false
    this.failures = 0
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    this.checkStop?.abort()
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined
      this.checkOnce().catch(() => {})
    }, this.check.interval)
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return
    this.checkStop = new AbortController()
    const result: CheckResult = await probe(this.check, this.deps.context, this.check.timeout, this.checkStop.signal)
    this.checkStop = undefined
    if (this.stopped) return
    this.failures = result.ok ? 0 : this.failures + 1
    this.deps.onResult({ok: result.ok, at: this.deps.clock.now(), failures: this.failures, message: result.message})
    if (this.failures >= this.check.failures) {
      this.stop()
      this.deps.onUnhealthy(
        `health check ${describeCheck(this.check)} failed ${this.failures} times in a row (last: ${result.message})`,
      )
      return
    }

    this.schedule()
  }
}
