import type {ProcessInfo, ProcessStatus} from '../model/api.js'

import {type Colour, formatBytes, formatDuration, renderTable} from './format.js'

/** The colour of each status, in `list` and `monit` alike. */
export const STATUS_COLOURS: Record<ProcessStatus, Colour> = {
  online: 'green',
  waiting: 'cyan',
  queued: 'cyan',
  starting: 'cyan',
  'waiting-restart': 'yellow',
  stopping: 'yellow',
  stopped: 'dim',
  errored: 'red',
  orphan: 'red',
}

/**
 * The table, then why each errored process is errored and what each waiting one waits for: the
 * reason a user needs first, without --json.
 */
export function renderProcessTable(processes: ProcessInfo[], colour: boolean): string {
  const notes = processes.flatMap((p) => {
    const why = p.status === 'errored' ? p.last_error : p.status === 'waiting' ? p.status_detail : null
    return why ? [`${p.id} ${p.status}: ${why.startsWith(`${p.id}:`) ? why.slice(p.id.length + 1).trim() : why}`] : []
  })
  const table = renderTable(
    processes,
    [
      {header: 'id', value: (p) => (p.number === null ? '-' : String(p.number)), align: 'right'},
      {header: 'name', value: (p) => p.id},
      {header: 'pid', value: (p) => (p.pid === null ? '-' : String(p.pid)), align: 'right'},
      {header: 'status', value: (p) => p.status, colour: (p) => STATUS_COLOURS[p.status]},
      {header: 'restarts', value: (p) => String(p.restarts), align: 'right'},
      {header: 'uptime', value: (p) => (p.status === 'online' ? formatDuration(p.uptime_ms) : '-'), align: 'right'},
      {header: 'cpu', value: (p) => (p.pid === null ? '-' : `${p.cpu.toFixed(1)}%`), align: 'right'},
      {header: 'memory', value: (p) => (p.pid === null ? '-' : formatBytes(p.memory)), align: 'right'},
    ],
    colour,
  )
  return notes.length > 0 ? `${table}\n\n${notes.join('\n')}` : table
}
