import type {Clock} from './clock.js'
import type {ManagedProcess} from './managed-process.js'

import {PAGE_SIZE, scanProcessGroups} from '../os/proc.js'

/** PM2 looks every 30 s, long enough for a leak to take the machine down first (Unitech/pm2#2391). */
const CHECK_INTERVAL_MS = 1000

/**
 * max_memory_restart: while some running process has a limit, the resident memory of each such
 * process's whole group (its children count, as they share its fate) is read from /proc every
 * second, and a group past its limit is restarted gracefully. Costs nothing when no app has a limit.
 */
export class MemoryLimits {
  private timer: unknown

  constructor(
    private readonly deps: {
      clock: Clock
      members: () => ManagedProcess[]
      log: (message: string) => void
    },
  ) {}

  /**
   * After a change of one process: looks begin once a limited process runs, and end by themselves.
   * Only the process that changed is looked at, as fifty apps starting change hundreds of times.
   */
  changed(member: ManagedProcess): void {
    if (this.timer === undefined && member.spec.max_memory_restart !== undefined && member.runningPid !== null)
      this.schedule()
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined
      if (this.check()) this.schedule()
    }, CHECK_INTERVAL_MS)
  }

  private limited(): ManagedProcess[] {
    return this.deps
      .members()
      .filter((member) => member.spec.max_memory_restart !== undefined && member.runningPid !== null)
  }

  /** One pass over /proc for all of them; false when nothing is left to watch. */
  private check(): boolean {
    const limited = this.limited()
    if (limited.length === 0) return false
    const groups = scanProcessGroups()
    for (const member of limited) {
      if (member.status !== 'online') continue
      const limit = member.spec.max_memory_restart!
      const resident =
        (groups.get(member.runningPid!) ?? []).reduce((total, stat) => total + stat.rssPages, 0) * PAGE_SIZE
      if (resident <= limit) continue
      member.restartFor(
        'memory',
        `its memory (${megabytes(resident)} resident, with its children) went past max_memory_restart (${megabytes(limit)})`,
      )
    }

    return true
  }
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
