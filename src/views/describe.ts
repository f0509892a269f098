import type {ProcessInfo} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'

import {describeListen} from '../model/listen.js'
import {formatBytes, formatDuration} from './format.js'

interface DescriptionView {
  spec: ProcessSpec
  instances: ProcessInfo[]
  logs: Array<{combined?: string; err: string; instance: number; out: string}>
}

const when = (ms: number) => `${formatDuration(Math.max(0, Date.now() - ms))} ago`

function check(state: null | {at: number; message: string; ok: boolean}, extra = ''): string {
  if (!state) return '-'
  return `${state.ok ? 'ok' : 'failing'}${extra} (${state.message}, ${when(state.at)})`
}

/** `tspm describe`: what the app is, then what each instance is doing, then where it logs. */
export function renderDescription({spec, instances, logs}: DescriptionView): string {
  const rows = [
    ...definitionRows(spec),
    ...triggerRows(spec, instances[0]?.triggers ?? null),
    ...instances.flatMap((info) => instanceRows(info, instances.length > 1)),
  ]
  for (const log of logs) {
    const prefix = logs.length > 1 ? `${spec.name}:${log.instance} ` : ''
    rows.push([`${prefix}out log`, log.out], [`${prefix}err log`, log.err])
    if (log.combined) rows.push([`${prefix}log`, log.combined])
  }

  const width = Math.max(...rows.map(([key]) => key.length))
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n')
}

type Row = [string, string]

function definitionRows(spec: ProcessSpec): Row[] {
  const listen = spec.listen.map((address) => describeListen(address))
  return [
    ['name', spec.name],
    ['script', spec.script],
    ['args', spec.args.length > 0 ? JSON.stringify(spec.args) : '-'],
    ['cwd', spec.cwd],
    ['interpreter', spec.interpreter ? [spec.interpreter, ...spec.interpreter_args].join(' ') : '- (runs directly)'],
    [
      'config',
      spec.config_file
        ? `${spec.config_file}${spec.config_env ? ` (--env ${spec.config_env})` : ''}`
        : '- (tspm start SCRIPT)',
    ],
    ...Object.entries(spec.env).map(([key, value]): Row => [`env ${key}`, value]),
    // Only the path: an env_file holds secrets, and its values are never shown.
    ['env_file', spec.env_file ?? '-'],
    ['instances', String(spec.instances)],
    ['listen', listen.length > 0 ? listen.join(', ') : '-'],
    ['ready', spec.ready ? spec.ready.kind : '-'],
    ['health', spec.health ? spec.health.kind : '-'],
    ['depends_on', spec.depends_on.length > 0 ? spec.depends_on.join(', ') : '-'],
    ['max_memory_restart', spec.max_memory_restart === undefined ? '-' : formatBytes(spec.max_memory_restart)],
    ['cron_restart', spec.cron_restart ?? '-'],
    [
      'watch',
      spec.watch.length > 0
        ? `${spec.watch.join(', ')} (after ${spec.watch_delay} ms quiet; ignored: ${['node_modules', '.git', ...spec.ignore_watch].join(', ')})`
        : '-',
    ],
    [
      'log times',
      spec.log_date_format
        ? `written into the log as ${spec.log_date_format}`
        : 'kept beside the log (tspm logs --timestamp)',
    ],
  ]
}

/** When the next cron restart comes (in the supervisor's time zone), and whether the watch is on. */
function triggerRows(spec: ProcessSpec, triggers: ProcessInfo['triggers']): Row[] {
  const rows: Row[] = []
  if (spec.cron_restart !== undefined) {
    const next = triggers?.cron_next_at ?? null
    const zone = triggers?.time_zone ?? undefined
    rows.push([
      'next cron restart',
      next === null
        ? '- (not scheduled while the app is stopped)'
        : `${new Date(next).toLocaleString('sv-SE', {timeZone: zone})} ${zone ?? ''}, in ${formatDuration(Math.max(0, next - Date.now()))} (cron_restart is read in the supervisor's time zone)`,
    ])
  }

  if (spec.watch.length > 0) {
    rows.push(['watching', triggers?.watching ? 'yes' : triggers ? 'setting up' : '- (not while the app is stopped)'])
  }

  return rows
}

function instanceRows(info: ProcessInfo, several: boolean): Row[] {
  const prefix = several ? `${info.id} ` : ''
  const exit = info.last_exit
    ? `${info.last_exit.signal ? `signal ${info.last_exit.signal}` : `code ${info.last_exit.code}`}, ${when(info.last_exit.at)}`
    : '-'
  const failures = info.health && info.health.failures > 0 ? `, ${info.health.failures} in a row` : ''
  return [
    [`${prefix}status`, `${info.status}${info.status_detail ? ` (${info.status_detail})` : ''}`],
    [`${prefix}pid`, info.pid === null ? '-' : String(info.pid)],
    [`${prefix}uptime`, info.status === 'online' ? formatDuration(info.uptime_ms) : '-'],
    [`${prefix}restarts`, `${info.restarts}${info.last_restart_reason ? ` (last: ${info.last_restart_reason})` : ''}`],
    [`${prefix}last exit`, exit],
    [`${prefix}last error`, info.last_error ?? '-'],
    [`${prefix}ready check`, check(info.ready)],
    [`${prefix}health check`, check(info.health, failures)],
  ]
}
