/**
 * The arrival times of a log's lines, kept beside it without changing it: `DIR/.NAME.times` next
 * to `DIR/NAME` (a dot file, so the `*.log` globs of logrotate and log shippers never take it).
 * It is a sequence of 16-byte records, [byte offset in the log as float64 LE, epoch ms as float64
 * LE]: the bytes from that offset on arrived at that time, until the next record. The supervisor
 * writes it (supervisor/rotating-log.ts), `tspm logs` reads it (services/log-reader.ts); rotated
 * files keep theirs (`.NAME.1.times` beside `NAME.1`).
 */
import {closeSync, ftruncateSync, rmSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {openForAppend} from './private-file.js'

export const TIME_RECORD_BYTES = 16

/** The most rotated files a log keeps (log_files), so the most a reader or a flush looks for. */
export const MAX_ROTATED_FILES = 100

/** `DIR/.NAME.times` for `DIR/NAME`. */
export function timesPath(logPath: string): string {
  return join(dirname(logPath), `.${basename(logPath)}.times`)
}

/** The n-th rotated file of a log (n from 1, the newest): `NAME.n`. */
export function rotatedPath(logPath: string, n: number): string {
  return `${logPath}.${n}`
}

export function writeTimeRecord(buffer: Buffer, at: number, offset: number, ms: number): void {
  buffer.writeDoubleLE(offset, at)
  buffer.writeDoubleLE(ms, at + 8)
}

export function readTimeRecord(buffer: Buffer, at: number): {offset: number; ms: number} {
  return {offset: buffer.readDoubleLE(at), ms: buffer.readDoubleLE(at + 8)}
}

/** What emptying a log did: the files emptied (the log itself) and the rotated ones removed. */
export interface EmptiedLog {
  emptied: string[]
  removed: string[]
}

/**
 * Removes the rotated files of a log (NAME.1 ... NAME.100) and their time files; returns the
 * rotated logs that were there. Unlinking never follows a symbolic link.
 */
export function removeRotatedLogs(logPath: string): string[] {
  const removed: string[] = []
  for (let n = 1; n <= MAX_ROTATED_FILES; n++) {
    const rotated = rotatedPath(logPath, n)
    if (exists(rotated)) removed.push(rotated)
    rmSync(rotated, {force: true})
    rmSync(timesPath(rotated), {force: true})
  }

  return removed
}

/**
 * Empties a log that no running writer holds (no supervisor, or an instance that is gone): the
 * file and its times truncated to 0 (opened as every log is, never through a symbolic link), its
 * rotated files removed. A log that does not exist is left alone.
 */
export function emptyLogFile(logPath: string): EmptiedLog {
  if (!exists(logPath)) return {emptied: [], removed: removeRotatedLogs(logPath)}
  for (const file of [logPath, timesPath(logPath)]) {
    if (file !== logPath && !exists(file)) continue
    const fd = openForAppend(file, 0o640)
    try {
      ftruncateSync(fd, 0)
    } finally {
      closeSync(fd)
    }
  }

  return {emptied: [logPath], removed: removeRotatedLogs(logPath)}
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}
