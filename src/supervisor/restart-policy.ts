import type {ProcessSpec} from '../model/process-spec.js'

export type RestartPolicyFields = Pick<
  ProcessSpec,
  | 'autorestart'
  | 'backoff_reset'
  | 'exp_backoff_restart_delay'
  | 'max_restart_delay'
  | 'max_restarts'
  | 'min_uptime'
  | 'restart_delay'
  | 'stop_exit_codes'
>

export type ExitDecision =
  | {action: 'errored'; unstableRuns: number}
  | {action: 'restart'; delayMs: number}
  | {action: 'stop'; reason: 'autorestart-off' | 'stop-exit-code'}

/**
 * Decides what follows a run that ended on its own (not stopped by the user). Pure apart from
 * its own counters: every decision is made from the finished run's uptime, so no timer polls.
 */
export class RestartPolicy {
  private unstableRuns = 0
  private lastBackoffDelay = 0

  constructor(private readonly fields: RestartPolicyFields) {}

  onExit(run: {uptimeMs: number; exitCode: null | number}): ExitDecision {
    const {fields} = this
    if (!fields.autorestart) return {action: 'stop', reason: 'autorestart-off'}
    if (run.exitCode !== null && fields.stop_exit_codes.includes(run.exitCode)) {
      return {action: 'stop', reason: 'stop-exit-code'}
    }

    // Counted from each run's own start, so a crash loop that begins late is still caught.
    this.unstableRuns = run.uptimeMs < fields.min_uptime ? this.unstableRuns + 1 : 0
    if (this.unstableRuns >= fields.max_restarts) return {action: 'errored', unstableRuns: this.unstableRuns}

    return {action: 'restart', delayMs: this.nextDelay(run.uptimeMs)}
  }

  /** A restart or start asked for by the user begins with a clean slate. */
  reset(): void {
    this.unstableRuns = 0
    this.lastBackoffDelay = 0
  }

  private nextDelay(uptimeMs: number): number {
    const {fields} = this
    if (fields.exp_backoff_restart_delay <= 0) return fields.restart_delay
    const longRun = uptimeMs >= fields.backoff_reset
    this.lastBackoffDelay =
      longRun || this.lastBackoffDelay === 0
        ? fields.exp_backoff_restart_delay
        : Math.min(fields.max_restart_delay, Math.round(this.lastBackoffDelay * 1.5))
    return Math.min(this.lastBackoffDelay, fields.max_restart_delay)
  }
}
