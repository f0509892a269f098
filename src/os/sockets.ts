import {readdirSync, readFileSync, readlinkSync} from 'node:fs'

/** TCP_LISTEN in /proc/net/tcp's `st` column. */
const LISTEN_STATE = '0A'

/**
 * Who listens on a TCP port, as far as /proc tells: the listening socket's inode from
 * /proc/net/tcp and tcp6, then the process with an fd on it (only our own, unless root).
 */
export function holderOfPort(port: number): undefined | {command: string; pid: number} {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }

    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      if (!local || fields[3] !== LISTEN_STATE) continue
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(fields[9]!)
    }
  }

  if (inodes.size === 0) return undefined
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue
    }

    for (const fd of fds) {
      let target = ''
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`)
      } catch {
        continue
      }

      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode && inodes.has(inode)) return {pid: Number(entry), command: commandOf(Number(entry))}
    }
  }

  return undefined
}

function commandOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    return argv.join(' ').slice(0, 120) || readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return 'unknown command'
  }
}
