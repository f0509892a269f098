// Polling helper for integration tests: wait for a condition with a deadline
// instead of sleeping a fixed time.
import {setTimeout as delay} from 'node:timers/promises'

export interface WaitOptions {
  /** Human readable description of what is awaited; used in the timeout error. */
  what: string
  /** Give up after this long (default 30 s). */
  timeoutMs?: number
  /** Pause between two attempts (default 100 ms). */
  intervalMs?: number
}

/**
 * Thrown from a predicate to stop waiting at once (e.g. the process that was
 * supposed to become ready has died). waitFor rethrows it unchanged.
 */
export class WaitAbort extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WaitAbort'
  }
}

export class WaitTimeout extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WaitTimeout'
  }
}

type Falsy = 0 | '' | false | null | undefined

/**
 * Calls `predicate` until it returns a truthy value (which is returned), then
 * resolves. A predicate that throws counts as "not yet" (the last error is
 * reported on timeout), except for WaitAbort which ends the wait immediately.
 * The predicate is always tried once more at the deadline.
 */
export async function waitFor<T>(predicate: () => Falsy | Promise<Falsy | T> | T, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const intervalMs = opts.intervalMs ?? 100
  const started = Date.now()
  const deadline = started + timeoutMs
  let attempts = 0
  let lastError: unknown
  let lastValue: unknown

  for (;;) {
    attempts++
    try {
      const value = await predicate()
      if (value) return value as T
      lastValue = value
      lastError = undefined
    } catch (error) {
      if (error instanceof WaitAbort) throw error
      lastError = error
    }

    const now = Date.now()
    if (now >= deadline) break
    await delay(Math.min(intervalMs, deadline - now))
  }

  const detail =
    lastError === undefined
      ? `; last value: ${JSON.stringify(lastValue)}`
      : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
  throw new WaitTimeout(
    `Timed out after ${Date.now() - started} ms (${attempts} attempts) waiting for ${opts.what}${detail}`,
    lastError === undefined ? undefined : {cause: lastError},
  )
}
