import type {ReadyCheck} from '../model/process-spec.js'
import type {Clock} from './clock.js'

import {type CheckResult, describeCheck, probe, type ProbeCheck, type ProbeContext} from './checks.js'

/**
 * Probes come every 10 ms for the first second (an app is most often ready within it, and the next
 * app's start-up slot waits on this one being seen ready), then less and less often.
 */
const FIRST_PROBE_MS = 10
const FAST_PROBES_FOR_MS = 1000
const MAX_PROBE_INTERVAL_MS = 500
/** Longest a single probe may take, within what is left of the timeout. */
const PROBE_TIMEOUT_MS = 1000
const NO_ANSWER_YET = 'no answer yet'
/** A line longer than this is matched by its first part only (a log check looks at lines). */
const MAX_LINE_BYTES = 64 * 1024

export interface ReadinessDeps {
  clock: Clock
  context: ProbeContext
  onReady(result: CheckResult): void
  /** Not ready within the timeout: the message names the check and its last failure. */
  onTimeout(message: string): void
}

/**
 * Waits for one run of an app to be ready, by its `ready:` check: probes (tcp, http, exec) on a
 * quickening-then-slowing schedule, a line of its stdout (log), or its process.send('ready')
 * (notify), until the timeout, which counts from when the app gets to run. Costs nothing once
 * ready or stopped: no timer is left behind.
 */
export class Readiness {
  private done = false
  private deadlineTimer: unknown
  private probeTimer: unknown
  /** Ends the probe in flight: a stopped or settled check leaves no program or socket behind. */
  private probeStop: AbortController | undefined
  private interval = FIRST_PROBE_MS
  private lastFailure = NO_ANSWER_YET
  private lineStart = ''
  private readonly pattern: RegExp | undefined
  private startedAt = 0

  constructor(
    private readonly check: ReadyCheck,
    private readonly deps: ReadinessDeps,
  ) {
    this.pattern = check.kind === 'log' ? new RegExp(check.pattern) : undefined
  }

  start(): void {
    const {clock} = this.deps
    this.startedAt = clock.now()
    this.deadlineTimer = clock.setTimeout(() => {
      this.deadlineTimer = undefined
      this.finish()
      this.deps.onTimeout(
        `not ready within ${formatMs(this.check.timeout)}: ${describeCheck(this.check)} (${this.lastFailure}); raise ready.timeout if it needs longer`,
      )
    }, this.check.timeout)
    if (this.check.kind === 'tcp' || this.check.kind === 'http' || this.check.kind === 'exec') this.scheduleProbe()
    if (this.check.kind === 'log') this.lastFailure = 'no matching line yet'
    if (this.check.kind === 'notify') this.lastFailure = "it did not call process.send('ready')"
  }

  stop(): void {
    this.finish()
  }

  /** A chunk of the app's stdout: a log check looks for a line that matches. */
  output(chunk: Buffer): void {
    if (this.done || !this.pattern) return
    const lines = (this.lineStart + chunk.toString('utf8')).split('\n')
    this.lineStart = lines.pop()!.slice(0, MAX_LINE_BYTES)
    for (const line of lines) {
      if (this.pattern.test(line)) {
        this.ready(`line ${JSON.stringify(line.slice(0, 200))}`)
        return
      }
    }
  }

  /** A message the app sent over its IPC channel: a notify check waits for 'ready'. */
  message(value: unknown): void {
    if (!this.done && this.check.kind === 'notify' && value === 'ready') this.ready("process.send('ready')")
  }

  private scheduleProbe(): void {
    this.probeTimer = this.deps.clock.setTimeout(() => {
      this.probeTimer = undefined
      this.probeOnce().catch(() => {})
    }, this.interval)
    if (this.deps.clock.now() - this.startedAt >= FAST_PROBES_FOR_MS) {
      this.interval = Math.min(Math.round(this.interval * 1.5), MAX_PROBE_INTERVAL_MS)
    }
  }

  private async probeOnce(): Promise<void> {
    if (this.done) return
    const left = this.startedAt + this.check.timeout - this.deps.clock.now()
    const budget = Math.max(1, Math.min(PROBE_TIMEOUT_MS, left))
    this.probeStop = new AbortController()
    const result = await probe(this.check as ProbeCheck, this.deps.context, budget, this.probeStop.signal)
    this.probeStop = undefined
    if (this.done) return
    if (result.ok) {
      this.ready(result.message)
      return
    }

    // A probe cut short by the ready timeout says nothing of the app ("did not finish within
    // 2 ms"): the timeout's message keeps what the last whole probe saw.
    const cutShort = result.timedOut && budget < PROBE_TIMEOUT_MS
    if (!cutShort || this.lastFailure === NO_ANSWER_YET) this.lastFailure = result.message
    this.scheduleProbe()
  }

  private ready(message: string): void {
    this.finish()
    this.deps.onReady({ok: true, message})
  }

  private finish(): void {
    this.done = true
    this.probeStop?.abort()
    const {clock} = this.deps
    if (this.deadlineTimer !== undefined) clock.clearTimeout(this.deadlineTimer)
    if (this.probeTimer !== undefined) clock.clearTimeout(this.probeTimer)
    this.deadlineTimer = undefined
    this.probeTimer = undefined
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}
