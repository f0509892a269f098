/**
 * The state of one managed process, as `list`, status.json and the control API show it. The zod
 * schema is the single definition; the supervisor imports this module as types only.
 */
import {z} from 'zod'

/** `orphan`: what `tspm list` shows for an app still running after its supervisor died. */
export const PROCESS_STATUSES = ['launching', 'online', 'stopping', 'stopped', 'waiting-restart', 'errored', 'orphan'] as const
export const DESIRED_STATES = ['online', 'stopped'] as const

export const processSnapshotSchema = z.object({
  name: z.string(),
  status: z.enum(PROCESS_STATUSES),
  /** What the user wants: `save` records it, resurrect brings it back. */
  desired: z.enum(DESIRED_STATES),
  pid: z.number().int().positive().nullable(),
  /** /proc start time of the pid, so a later supervisor can tell it from a reused pid. */
  proc_start_time: z.number().int().nonnegative().nullable(),
  restarts: z.number().int().nonnegative(),
  /** Epoch milliseconds of the current run's start. */
  started_at: z.number().nullable(),
  last_exit: z.object({code: z.number().int().nullable(), signal: z.string().nullable(), at: z.number()}).nullable(),
  last_error: z.string().nullable(),
  /** Output lost because its log file could not be written (a full disk, a refused file). */
  log_bytes_dropped: z.number().int().nonnegative(),
})

export type ProcessSnapshot = z.infer<typeof processSnapshotSchema>
export type ProcessStatus = ProcessSnapshot['status']
export type DesiredState = ProcessSnapshot['desired']
