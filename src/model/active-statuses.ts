/**
 * The statuses of a process that runs, waits to run, or is about to run again: what counts as
 * running for the supervisor and for `tspm start`. Apart from the zod schema (process-state.ts),
 * so neither the supervisor nor the CLI's start loads zod for it.
 */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set([
  'online',
  'queued',
  'starting',
  'waiting',
  'waiting-restart',
])
