/**
 * The metrics of a supervisor and its processes, in Prometheus's text exposition format 0.0.4:
 * GET /v1/metrics on the control socket, and GET /metrics on the opt-in TCP listener
 * (metrics-listener.ts). Written by hand: the supervisor loads no npm package, and the format is
 * small (a HELP and a TYPE line per metric, then one line per sample).
 *
 * Each process is labelled name, app_instance and id (`web`, or `web:2` while the app runs several
 * instances). The instance number is not labelled `instance`: Prometheus sets that label to the
 * scrape target's address itself and would rename ours to `exported_instance`.
 *
 * CPU and memory are those of the app's process group, the processes `tspm stop` reaches: an app
 * started as `npm start`, or a server with worker processes, spends its CPU in its children. The
 * CPU is every member's own time plus the time of the children each has waited for, so a child's
 * share moves to its parent when it exits instead of leaving the count. Resident memory is the sum
 * of the members' resident sets, as `ps` adds them up: pages shared between them count once each.
 */
import type {RestartReason} from '../model/api.js'
import type {ManagedProcess} from './managed-process.js'

import {CLOCK_TICKS_PER_SECOND, PAGE_SIZE, type ProcStat, scanProcessGroups} from '../os/proc.js'
import {logBytesDroppedTotal} from './rotating-log.js'

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface Sample {
  labels?: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: 'counter' | 'gauge'
  samples: Sample[]
}

const METRIC_NAME = /^[A-Za-z_:][\w:]*$/
/** Names starting with "__" are Prometheus's own. */
const LABEL_NAME = /^(?!__)[A-Za-z_]\w*$/

/**
 * Every reason a restart can have (a reason added to the model and not here fails the build): each
 * process shows each, 0 until it happens, so that rate() and increase() see the first one.
 */
const RESTART_REASONS = Object.keys({
  crash: true,
  health: true,
  manual: true,
  reload: true,
  memory: true,
  cron: true,
  watch: true,
} satisfies Record<RestartReason, true>) as RestartReason[]

/**
 * The text of `families`, in their order, each with its HELP and TYPE lines; a family without
 * samples is left out. A bad metric or label name is a programming error and throws.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  let text = ''
  for (const family of families) {
    if (family.samples.length === 0) continue
    if (!METRIC_NAME.test(family.name)) throw new Error(`not a metric name: ${JSON.stringify(family.name)}`)
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
    for (const sample of family.samples)
      text += `${family.name}${labelSet(sample.labels)} ${formatValue(sample.value)}\n`
  }

  return text
}

/** A label value as the format writes it between quotes: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', String.raw`\"`)
    .replaceAll('\n', String.raw`\n`)
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', String.raw`\n`)
}

function labelSet(labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name)) throw new Error(`not a label name: ${JSON.stringify(name)}`)
    return `${name}="${escapeLabelValue(value)}"`
  })
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

/** Go's ParseFloat reads what String() writes for a finite number ("1e+21" included); the rest by name. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

export interface SupervisorFacts {
  version: string
  /** Epoch milliseconds. */
  startedAt: number
  processes: readonly ManagedProcess[]
}

/** The whole answer of GET /metrics: every process, then the supervisor itself. */
export function supervisorMetrics(facts: SupervisorFacts): string {
  // One pass over /proc for every group, only when something runs.
  const groups = facts.processes.some((managed) => managed.runningPid !== null) ? scanProcessGroups() : new Map()
  return renderExposition([...processFamilies(facts.processes, groups), ...ownFamilies(facts)])
}

function processFamilies(processes: readonly ManagedProcess[], groups: Map<number, ProcStat[]>): MetricFamily[] {
  const family = (name: string, type: MetricFamily['type'], help: string): MetricFamily => ({
    name: `tspm_process_${name}`,
    type,
    help,
    samples: [],
  })
  const up = family('up', 'gauge', '1 while the process runs (it has a pid), else 0.')
  const ready = family('ready', 'gauge', '1 while the process is online: running, and its ready check passed.')
  const restarts = family('restarts_total', 'counter', 'Restarts of the process, by reason.')
  const cpu = family(
    'cpu_seconds_total',
    'counter',
    'CPU time (user and system) of the process group of the current run, its waited-for children included.',
  )
  const memory = family('resident_memory_bytes', 'gauge', 'Resident memory of the process group of the current run.')
  const startTime = family('start_time_seconds', 'gauge', 'Start of the current run, in seconds since the epoch.')
  const healthFailures = family(
    'health_consecutive_failures',
    'gauge',
    'Failed health checks in a row (the process has a health check).',
  )

  for (const managed of processes) {
    const snapshot = managed.snapshot()
    const labels = {name: snapshot.name, app_instance: String(snapshot.instance), id: snapshot.id}
    up.samples.push({labels, value: snapshot.pid === null ? 0 : 1})
    ready.samples.push({labels, value: snapshot.status === 'online' ? 1 : 0})
    for (const reason of RESTART_REASONS) {
      restarts.samples.push({labels: {...labels, reason}, value: managed.restartsByReason[reason] ?? 0})
    }

    if (snapshot.health) healthFailures.samples.push({labels, value: snapshot.health.failures})
    if (snapshot.pid === null) continue
    if (snapshot.started_at !== null) startTime.samples.push({labels, value: snapshot.started_at / 1000})
    const members = groups.get(snapshot.pid) ?? []
    if (members.length === 0) continue
    let ticks = 0
    let pages = 0
    for (const member of members) {
      ticks += member.cpuTicks + member.childCpuTicks
      pages += member.rssPages
    }

    cpu.samples.push({labels, value: ticks / CLOCK_TICKS_PER_SECOND})
    memory.samples.push({labels, value: pages * PAGE_SIZE})
  }

  return [up, ready, restarts, cpu, memory, startTime, healthFailures]
}

function ownFamilies(facts: SupervisorFacts): MetricFamily[] {
  const cpu = process.cpuUsage()
  const own = (name: string, type: MetricFamily['type'], help: string, sample: Sample): MetricFamily => ({
    name: `tspm_supervisor_${name}`,
    type,
    help,
    samples: [sample],
  })
  return [
    own('info', 'gauge', 'The supervisor answering, by its version.', {labels: {version: facts.version}, value: 1}),
    own('start_time_seconds', 'gauge', 'Start of the supervisor, in seconds since the epoch.', {
      value: facts.startedAt / 1000,
    }),
    own('cpu_seconds_total', 'counter', 'CPU time (user and system) of the supervisor itself.', {
      value: (cpu.user + cpu.system) / 1e6,
    }),
    own('resident_memory_bytes', 'gauge', 'Resident memory of the supervisor itself.', {
      value: process.memoryUsage.rss(),
    }),
    own('processes', 'gauge', 'Processes the supervisor manages, whatever their state (each instance counts).', {
      value: facts.processes.length,
    }),
    own(
      'log_bytes_dropped_total',
      'counter',
      'Bytes of app output lost because a log file could not be written (a full disk, a refused file).',
      {value: logBytesDroppedTotal()},
    ),
  ]
}
