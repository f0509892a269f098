import type {ProcessSpec} from './process-spec.js'
/**
 * The control API under /v1 on $TSPM_HOME/tspm.sock (HTTP/1.1 with JSON bodies): what the CLI and
 * the supervisor say to each other. Types only, shared by both sides; neither side's internals.
 */
import type {DesiredState, ProcessSnapshot} from './process-state.js'

export type {DesiredState, ProcessSnapshot, ProcessStatus, RestartReason, StartOutcomeState} from './process-state.js'

export const API_PREFIX = '/v1'

export interface HealthResponse {
  pid: number
  version: string
  home: string
  started_at: number
  /** How this supervisor was started: `daemon` (by `tspm start`) or `foreground` (`tspm resurrect`). */
  mode: 'daemon' | 'foreground'
  /** Its TCP listener for Prometheus, if one is open (absent from supervisors older than metrics). */
  metrics?: MetricsSettings | null
}

/** A config's top-level `metrics:`: the opt-in TCP listener serving GET /metrics to Prometheus. */
export interface MetricsSettings {
  listen: {host: string; port: number}
}

export interface ProcessInfo extends ProcessSnapshot {
  uptime_ms: number
  /** Percent of one core since the previous look (or since start). */
  cpu: number
  /** Resident memory in bytes. */
  memory: number
  script: string
  args: string[]
  cwd: string
  /**
   * Its app's cron_restart and watch, while they are set up: the next cron restart (epoch ms) and
   * the supervisor's time zone it is read in, and whether the watched files are being watched.
   */
  triggers: null | {cron_next_at: null | number; time_zone: null | string; watching: boolean}
}

export interface SavedProcess {
  spec: ProcessSpec
  desired: DesiredState
  /** The numbers of its instances (ProcessSnapshot.number), so they stay the same after a resurrect. */
  numbers?: number[]
}

export interface StartRequest {
  processes: SavedProcess[]
  /** The metrics listener to open, or move to (null: close it; absent: leave it as it is). The last start wins. */
  metrics?: MetricsSettings | null
}

/** `applied`: it ran with another definition, which it was restarted (or reloaded) with. */
export type StartOutcome = 'already-running' | 'applied' | 'failed' | 'started' | 'stopped'

export interface StartResponse {
  /** `targets`: the start of each instance, what `tspm start` waits for. */
  results: Array<{error?: string; name: string; outcome: StartOutcome; targets?: StartTarget[]}>
}

/** A start to wait for: the process (its id: `web`, or `web:2`), and the number of the start asked for (ProcessSnapshot.start). */
export interface StartTarget {
  name: string
  attempt: number
}

/** POST /v1/processes/:name/reload: with `specs`, the apps they name take these definitions. */
export interface ReloadRequest {
  specs?: ProcessSpec[]
}

/** What a reload did to one app, for the CLI to say. */
export interface ReloadResult {
  name: string
  outcome: 'failed' | 'reloaded' | 'restarted' | 'started'
  message: string
}

export interface ReloadResponse {
  results: ReloadResult[]
}

/** POST /v1/processes/:name/scale */
export interface ScaleRequest {
  instances: number
}

/** POST /v1/processes/:name/signal: to the process, or with `group` to its whole process group. */
export interface SignalRequest {
  signal: string
  group?: boolean
}

/** POST /v1/wait: answered once each start asked for is settled (online, or failed). */
export interface WaitRequest {
  targets: StartTarget[]
}

export interface WaitResponse {
  results: Array<{message: null | string; name: string; online: boolean}>
}

/** The processes acted on, by id (`web`, or `web:0`, `web:1`... for an app of several instances). */
export interface ActionResponse {
  names: string[]
}

/** POST /v1/processes/:name/flush: per app, the log files emptied and the rotated ones removed. */
export interface FlushResponse {
  results: Array<{name: string; emptied: string[]; removed: string[]}>
}

export interface ApiErrorBody {
  error: {code: string; message: string}
}
