/**
 * $TSPM_HOME/status.json: what runs now, rewritten atomically by the supervisor on every change,
 * so that a later supervisor (or `tspm list` when none answers) finds what a dead one left
 * running. This module is its only reader and writer; its schema is status-schema.ts.
 */
import {readFileSync} from 'node:fs'

import type {HomePaths} from './home.js'
import type {StatusEntry, StatusFile} from './status-schema.js'

import {writeFileAtomic} from './atomic-file.js'

export type {StatusEntry, StatusFile} from './status-schema.js'

export const STATUS_FORMAT_VERSION = 1

export function writeStatusFile(paths: HomePaths, status: StatusFile): void {
  writeFileAtomic(paths.statusFile, JSON.stringify(status, null, 2) + '\n')
}

/**
 * The last status written, or undefined when there is none or it does not read back. Entries
 * without what it takes to find and stop their process are left out. Checked by hand, not by the
 * schema, so the supervisor stays free of the schema library.
 */
export function readStatusFile(paths: HomePaths): StatusFile | undefined {
  let parsed: null | Partial<StatusFile>
  try {
    parsed = JSON.parse(readFileSync(paths.statusFile, 'utf8')) as null | Partial<StatusFile>
  } catch {
    return undefined
  }

  if (!parsed || !Array.isArray(parsed.processes)) return undefined
  const processes = parsed.processes.filter((entry): entry is StatusEntry => isStoppable(entry))
  return {...(parsed as StatusFile), processes}
}

function isStoppable(entry: unknown): boolean {
  const candidate = entry as null | Partial<StatusEntry>
  return (
    typeof candidate?.name === 'string' &&
    (candidate.pid === null || Number.isInteger(candidate.pid)) &&
    (candidate.proc_start_time === null || Number.isInteger(candidate.proc_start_time)) &&
    typeof candidate.stop_signal === 'string' &&
    Number.isInteger(candidate.kill_timeout)
  )
}
