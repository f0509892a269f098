/**
 * The state of one managed process, as `list`, status.json and the control API show it. The zod
 * schema is the single definition; the supervisor imports this module as types only.
 */
import * as z from '../vendor/zod.js'

/**
 * - `waiting`: not started yet, waiting for what it depends on (status_detail says what);
 * - `queued`: not spawned yet, held back by the launch throttle until a start-up slot is free;
 * - `starting`: running, its ready check has not passed yet; `online`: ready (or running, without a check);
 * - `orphan`: what `tspm list` shows for an app still running after its supervisor died.
 */
export const PROCESS_STATUSES = [
  'waiting',
  'queued',
  'starting',
  'online',
  'stopping',
  'stopped',
  'waiting-restart',
  'errored',
  'orphan',
] as const
export const RESTART_REASONS = ['crash', 'health', 'manual', 'reload', 'memory', 'cron', 'watch'] as const

const checkState = z.object({ok: z.boolean(), at: z.number(), message: z.string()})
export const DESIRED_STATES = ['online', 'stopped'] as const

export const processSnapshotSchema = z.object({
  name: z.string(),
  /** Which copy of the app (0 to instances - 1); `name:instance` names it in commands. */
  instance: z.int().check(z.nonnegative()),
  /** How commands name it: the name, or `name:instance` while the app runs several instances. */
  id: z.string(),
  /** Its number, as PM2 users type it (`tspm stop 3`): kept for this home by save and resurrect; null for an orphan found only through /proc. */
  number: z.nullable(z.int().check(z.nonnegative())),
  status: z.enum(PROCESS_STATUSES),
  /** What the user wants: `save` records it, resurrect brings it back. */
  desired: z.enum(DESIRED_STATES),
  pid: z.nullable(z.int().check(z.positive())),
  /** /proc start time of the pid, so a later supervisor can tell it from a reused pid. */
  proc_start_time: z.nullable(z.int().check(z.nonnegative())),
  restarts: z.int().check(z.nonnegative()),
  /** Epoch milliseconds of the current run's start. */
  started_at: z.nullable(z.number()),
  last_exit: z.nullable(z.object({code: z.nullable(z.int()), signal: z.nullable(z.string()), at: z.number()})),
  last_error: z.nullable(z.string()),
  /** Output lost because its log file could not be written (a full disk, a refused file). */
  log_bytes_dropped: z.int().check(z.nonnegative()),
  /** Why it is in its status, when that needs saying: what it waits for, why it is not ready. */
  status_detail: z.nullable(z.string()),
  /** The last result of its ready check (or of its start, without one). */
  ready: z.nullable(checkState),
  /** The last health check, with the failures in a row. */
  health: z.nullable(z.extend(checkState, {failures: z.int().check(z.nonnegative())})),
  last_restart_reason: z.nullable(z.enum(RESTART_REASONS)),
  /**
   * The start asked for most recently (by `tspm start`, `restart` or a resurrect), numbered:
   * `pending` until the process is online (`ready`) or that start failed, which is what
   * `tspm start` waits for; attempt 0 (`none`) before any start was asked for.
   */
  start: z.object({
    attempt: z.int().check(z.nonnegative()),
    outcome: z.enum(['none', 'pending', 'ready', 'failed']),
    message: z.nullable(z.string()),
  }),
})

export type ProcessSnapshot = z.output<typeof processSnapshotSchema>
export type ProcessStatus = ProcessSnapshot['status']
export type DesiredState = ProcessSnapshot['desired']
export type RestartReason = NonNullable<ProcessSnapshot['last_restart_reason']>
export type StartOutcomeState = ProcessSnapshot['start']
