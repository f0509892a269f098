/**
 * The schema of $TSPM_HOME/status.json (what runs now), the source of its type. The supervisor
 * writes the file (store/status-file.ts) and imports this module as types only.
 */
import {signalNameSchema} from '../model/process-spec.js'
import {processSnapshotSchema} from '../model/process-state.js'
import * as z from '../vendor/zod.js'
import {STATUS_FORMAT_VERSION} from './status-file.js'

/** One entry: the snapshot, plus what a later supervisor needs to stop the process it names. */
export const statusEntrySchema = z.extend(processSnapshotSchema, {
  stop_signal: signalNameSchema,
  kill_timeout: z.int().check(z.nonnegative()),
})

export const statusFileSchema = z.object({
  version: z.literal(STATUS_FORMAT_VERSION),
  supervisor_pid: z.int().check(z.positive()),
  updated_at: z.string(),
  processes: z.array(statusEntrySchema),
})

export type StatusEntry = z.output<typeof statusEntrySchema>
export type StatusFile = z.output<typeof statusFileSchema>
