import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'

/** Live processes whose environment has NAME=value: every process a supervisor of that TSPM_HOME started. */
export function processesWithEnv(name: string, value: string): Array<{pid: number; cmdline: string}> {
  const needle = `${name}=${value}`
  const found: Array<{pid: number; cmdline: string}> = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle)) continue
      found.push({pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()})
    } catch {
      // gone meanwhile, or not ours to read
    }
  }

  return found
}

/** The one-letter state of a process in /proc (R, S, T, Z, ...); undefined when it is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may itself hold spaces or parentheses.
    return stat.charAt(stat.lastIndexOf(')') + 2)
  } catch {
    return undefined
  }
}

/** True while `pid` runs (zombies count as gone): the one "is it alive" check of the tests. */
export function isRunning(pid: number): boolean {
  const state = procState(pid)
  return state !== undefined && state !== 'Z'
}

export function procStartTime(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19])
}

/** The pid of a process that has exited already: a writer that died, a supervisor that left. */
export function exitedPid(): number {
  const {pid} = spawnSync(process.execPath, ['-e', ''])
  if (!pid) throw new Error('could not spawn a process to take a pid from')
  return pid
}
