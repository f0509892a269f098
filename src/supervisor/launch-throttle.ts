import type {ProcStat} from '../os/proc.js'
import type {Clock} from './clock.js'

/** How often the throttle looks at the apps that are starting up, while any is. */
const POLL_MS = 5
/** An app that has used this much CPU (a new process starts from none) is past its start-up. */
const STARTUP_CPU_TICKS = 10
/**
 * Looks in a row that must find the app not running before it counts as waiting for work: Node
 * sleeps for a moment while it boots, and one look would free the slot too early.
 */
const QUIET_POLLS = 2
/** Nobody keeps a slot longer than this, whatever it does. */
const STARTUP_MAX_MS = 1000

export interface LaunchThrottleDeps {
  clock: Clock
  /** Apps that may start up at the same time (about one per core). */
  slots: number
  readStat: (pid: number) => ProcStat | undefined
  /** Signals the app's process group (it leads its own). */
  signalGroup: (pgid: number, signal: NodeJS.Signals) => void
}

/**
 * Lets only about one app per core start up at a time. A Node app burns about 40 ms of CPU before it
 * waits for work; fifty launched at once (`tspm start`, a resurrect after boot) each take a fair
 * share of the CPU at the same time, so they all finish starting late, together, and the
 * supervisor and every `tspm` command starve meanwhile. Here a new process that finds the slots
 * full is stopped (SIGSTOP) right after its exec and continued (SIGCONT) when a slot frees up:
 * when an app in a slot sleeps (it waits for work), exits, or has used its start-up CPU. The apps
 * finish starting in launch order, the first ones much sooner, the last a little later (a slot
 * changes hands up to two looks after its app went to sleep); nothing else is held up. A lone
 * launch (one restart) never waits.
 *
 * An app with a ready check keeps its slot until it is ready (or its start failed), not until a
 * look at /proc guesses it has started up: the turns then follow real readiness.
 */
export interface Admission {
  /** Keep the slot until ready() (or forget()), rather than until it seems to have started up. */
  untilReady: boolean
  /** Called once the app runs: at once when a slot is free, else when it is continued. */
  onRun(): void
}

export class LaunchThrottle {
  /** Apps in a slot: when each got it, how many looks in a row found it not running, how it ends. */
  private readonly starting = new Map<number, {since: number; quietPolls: number; untilReady: boolean}>()
  private readonly waiting: Array<{pid: number; admission: Admission}> = []
  private pollTimer: unknown

  constructor(private readonly deps: LaunchThrottleDeps) {}

  /**
   * Called right after a spawn: the app starts up now when a slot is free (true), else waits
   * stopped (false) until one is.
   */
  admit(pid: number, admission: Admission): boolean {
    const now = this.waiting.length === 0 && this.starting.size < this.deps.slots
    if (now) {
      this.occupySlot(pid, admission)
    } else {
      this.deps.signalGroup(pid, 'SIGSTOP')
      this.waiting.push({pid, admission})
    }

    this.schedulePoll()
    if (now) admission.onRun()
    return now
  }

  /** The app in this slot is ready (or its start failed): the next one may start up. */
  ready(pid: number): void {
    if (!this.starting.delete(pid)) return
    this.fillSlots()
    this.schedulePoll()
  }

  /** The app's process has ended (or is being stopped): it neither holds a slot nor waits for one. */
  forget(pid: number): void {
    this.starting.delete(pid)
    const index = this.waiting.findIndex((entry) => entry.pid === pid)
    if (index !== -1) this.waiting.splice(index, 1)
    this.fillSlots()
    this.schedulePoll()
  }

  /** True while `pid` waits stopped for a slot. */
  isWaiting(pid: number): boolean {
    return this.waiting.some((entry) => entry.pid === pid)
  }

  private occupySlot(pid: number, admission: Admission): void {
    this.starting.set(pid, {since: this.deps.clock.now(), quietPolls: 0, untilReady: admission.untilReady})
  }

  /** Only the apps that are not waiting for a ready check need looks at /proc; ready() and forget() free the others. */
  private schedulePoll(): void {
    if (this.pollTimer !== undefined || [...this.starting.values()].every((app) => app.untilReady)) return
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined
      this.poll()
    }, POLL_MS)
  }

  private poll(): void {
    const now = this.deps.clock.now()
    for (const [pid, app] of this.starting) {
      if (app.untilReady) continue
      const stat = this.deps.readStat(pid)
      app.quietPolls = stat !== undefined && stat.state !== 'R' ? app.quietPolls + 1 : 0
      const startedUp =
        stat === undefined ||
        app.quietPolls >= QUIET_POLLS ||
        stat.cpuTicks >= STARTUP_CPU_TICKS ||
        now - app.since >= STARTUP_MAX_MS
      if (startedUp) this.starting.delete(pid)
    }

    this.fillSlots()
    this.schedulePoll()
  }

  /** Continues the apps waiting for a slot, in launch order, while slots are free. */
  private fillSlots(): void {
    while (this.waiting.length > 0 && this.starting.size < this.deps.slots) {
      const {pid, admission} = this.waiting.shift()!
      this.deps.signalGroup(pid, 'SIGCONT')
      this.occupySlot(pid, admission)
      admission.onRun()
    }
  }
}
