/** The schema of dump.json, the source of its type; store/dump.ts loads it only to read a dump. */
import {processSpecSchema} from '../model/process-spec.js'
import {DESIRED_STATES} from '../model/process-state.js'
import {z} from '../vendor/zod.js'
import {DUMP_FORMAT, DUMP_VERSION} from './dump.js'

/** One saved process: the configured spec, flat, plus the state the user wants. */
const savedProcessSchema = processSpecSchema.extend({
  state: z.enum(DESIRED_STATES),
  /** The numbers of its instances, kept across a resurrect (absent in dumps of older versions). */
  numbers: z.array(z.number().int().nonnegative()).optional(),
})

export const dumpSchema = z.strictObject({
  format: z.literal(DUMP_FORMAT),
  version: z.literal(DUMP_VERSION),
  saved_at: z.string(),
  processes: z.array(savedProcessSchema),
  /** The metrics listener that was open (a config's `metrics:`); absent when none was, and in older dumps. */
  metrics: z
    .strictObject({
      listen: z.strictObject({host: z.string().min(1), port: z.number().int().min(1).max(65_535)}),
    })
    .optional(),
})

export type DumpFile = z.infer<typeof dumpSchema>
