import type {Clock} from '../../src/supervisor/clock.js'

/** A clock whose time moves only when the test says so; timers fire in due order. */
export class FakeClock implements Clock {
  private time = 1_000_000
  private timers: Array<{at: number; callback: () => void; id: number}> = []
  private nextId = 1

  now(): number {
    return this.time
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.push({at: this.time + ms, callback, id})
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle)
  }

  /** The delay until the next timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    if (this.timers.length === 0) return undefined
    return Math.min(...this.timers.map((timer) => timer.at)) - this.time
  }

  advance(ms: number): void {
    const until = this.time + ms
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.timers = this.timers.filter((timer) => timer !== due)
      this.time = due.at
      due.callback()
    }

    this.time = until
  }
}
