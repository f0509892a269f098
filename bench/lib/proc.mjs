// What Linux's /proc tells about a process: RSS, CPU time, liveness, environment.
import {readdirSync, readFileSync} from 'node:fs'

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ; 100 on every Linux Node runs on). */
export const CLOCK_TICKS = 100

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {}
}

/** True while pid exists and is not a zombie. */
export function alive(pid) {
  const fields = stat(pid)
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X'
}

/** VmRSS of pid in bytes (undefined when it is gone). */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {}
}

/** utime + stime of pid in seconds (its own threads; not its children's). */
export function cpuSeconds(pid) {
  const fields = stat(pid)
  // fields[0] is field 3 (state) of proc(5); utime is field 14, stime 15.
  return fields === undefined ? undefined : (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

function environ(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
  } catch {
    return []
  }
}

/**
 * Pids of live processes whose environment holds every one of `vars` (exact `KEY=value` strings).
 * The bench puts a marker of its own run into the environment of everything it starts (the CLIs,
 * so the daemons, so the apps), which is how cleanup finds what it started and nothing else.
 */
export function findByEnv(vars) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid || !alive(pid)) continue
    const env = environ(pid)
    if (vars.every((v) => env.includes(v))) found.push(pid)
  }

  return found
}

export function signal(pid, sig) {
  try {
    process.kill(pid, sig)
    return true
  } catch {
    return false
  }
}

/** CPU ticks the whole machine spent busy so far (every core; /proc/stat minus idle and iowait). */
export function machineBusyTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  return fields.reduce((sum, x) => sum + x, 0) - fields[3] - fields[4]
}

/** utime + stime of pid with those of its children it has waited for, in ticks (0 when it is gone). */
function ticksWithChildren(pid) {
  const fields = stat(pid)
  return fields === undefined ? 0 : [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0)
}

/**
 * CPU the rest of the machine uses while the bench measures: "elsewhere" is the machine's busy
 * time minus the bench's own (this process with the CLIs it ran, and every process carrying the
 * run's marker that is still alive at the end). A shared machine shows here, per rep.
 */
export function busyElsewhere(marker) {
  const ours = () =>
    ticksWithChildren('self') + findByEnv([marker]).reduce((sum, pid) => sum + ticksWithChildren(pid), 0)
  const machine0 = machineBusyTicks()
  const ours0 = ours()
  return {
    /** Seconds of CPU used elsewhere since the call. */
    stop: () => Math.max(0, machineBusyTicks() - machine0 - (ours() - ours0)) / CLOCK_TICKS,
  }
}
