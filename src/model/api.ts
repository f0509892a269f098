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
}

export interface SavedProcess {
  spec: ProcessSpec
  desired: DesiredState
}

export interface StartRequest {
  processes: SavedProcess[]
}

export type StartOutcome = 'already-running' | 'failed' | 'started' | 'stopped'

export interface StartResponse {
  /** `attempt`: the number of the start asked for, as ProcessSnapshot.start shows it (what `tspm start` waits for). */
  results: Array<{attempt?: number; error?: string; name: string; outcome: StartOutcome}>
}

/** A start to wait for: the process, and the number of the start asked for (ProcessSnapshot.start). */
export interface StartTarget {
  name: string
  attempt: number
}

/** POST /v1/wait: answered once each start asked for is settled (online, or failed). */
export interface WaitRequest {
  targets: StartTarget[]
}

export interface WaitResponse {
  results: Array<{message: null | string; name: string; online: boolean}>
}

export interface ActionResponse {
  names: string[]
}

export interface ApiErrorBody {
  error: {code: string; message: string}
}
