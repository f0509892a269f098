import type {Clock} from './clock.js'

/**
 * Spreads automatic restarts when many apps crash at once. Each restart is a fork and exec that
 * blocks the supervisor, and each new app wants the CPU to start: fifty at the same instant left
 * the supervisor (and `tspm list`) unanswered for seconds. At most `perWindow` restarts run in any
 * window of `windowMs`; the others wait their turn, in order. A single app never waits.
 */
export class RestartPacer {
  private queue: Array<() => void> = []
  private windowStart = Number.NEGATIVE_INFINITY
  private startedInWindow = 0
  private drainTimer: unknown

  constructor(
    private readonly clock: Clock,
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** Runs `restart` now if the window has room, else later; the returned function cancels it. */
  schedule(restart: () => void): () => void {
    this.openWindowIfDue()
    if (this.queue.length === 0 && this.startedInWindow < this.perWindow) {
      this.startedInWindow++
      restart()
      return () => {}
    }

    this.queue.push(restart)
    this.drainTimer ??= this.clock.setTimeout(() => this.drain(), this.windowStart + this.windowMs - this.clock.now())
    return () => {
      this.queue = this.queue.filter((queued) => queued !== restart)
    }
  }

  private openWindowIfDue(): void {
    const now = this.clock.now()
    if (now - this.windowStart < this.windowMs) return
    this.windowStart = now
    this.startedInWindow = 0
  }

  private drain(): void {
    this.drainTimer = undefined
    this.openWindowIfDue()
    while (this.queue.length > 0 && this.startedInWindow < this.perWindow) {
      this.startedInWindow++
      this.queue.shift()!()
    }

    if (this.queue.length > 0) this.drainTimer = this.clock.setTimeout(() => this.drain(), this.windowMs)
  }
}
