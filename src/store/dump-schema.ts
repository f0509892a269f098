/** The schema of dump.json, the source of its type; store/dump.ts loads it only to read a dump. */
import {processSpecSchema} from '../model/process-spec.js'
import {DESIRED_STATES} from '../model/process-state.js'
import * as z from '../vendor/zod.js'
import {DUMP_FORMAT, DUMP_VERSION} from './dump.js'

/** One saved process: the configured spec, flat, plus the state the user wants. */
const savedProcessSchema = z.extend(processSpecSchema, {
  state: z.enum(DESIRED_STATES),
  /** The numbers of its instances, kept across a resurrect (absent in dumps of older versions). */
  numbers: z.optional(z.array(z.int().check(z.nonnegative()))),
})

export const dumpSchema = z.strictObject({
  format: z.literal(DUMP_FORMAT),
  version: z.literal(DUMP_VERSION),
  saved_at: z.string(),
  processes: z.array(savedProcessSchema),
  /** The metrics listener that was open (a config's `metrics:`); absent when none was, and in older dumps. */
  metrics: z.optional(
    z.strictObject({
      listen: z.strictObject({
        host: z.string().check(z.minLength(1)),
        port: z.int().check(z.minimum(1), z.maximum(65_535)),
      }),
    }),
  ),
})

export type DumpFile = z.output<typeof dumpSchema>
