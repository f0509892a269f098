import {writeSync} from 'node:fs'

import {isoTimestamp} from './clock.js'

/** Lines kept while the supervisor's own log cannot be written (a full disk), to write once it can. */
const HELD_LINES_MAX = 200

const held: string[] = []
let lost = 0

/**
 * The supervisor's own messages: one timestamped line each, on its stdout (tspm.log, or the
 * journal). Written synchronously, never throwing: when the log cannot take a line (the disk it
 * is on is full), the line is held and written with the next one that goes through, so a report
 * of the full disk reaches tspm.log once there is room again.
 */
export function timestamped(message: string): void {
  held.push(`${isoTimestamp()} ${message}\n`)
  if (held.length > HELD_LINES_MAX) {
    held.shift()
    lost++
  }

  while (held.length > 0) {
    if (lost > 0 && !write(`${isoTimestamp()} (${lost} earlier messages of the supervisor were lost)\n`)) return
    lost = 0
    if (!write(held[0]!)) return
    held.shift()
  }
}

function write(line: string): boolean {
  const bytes = Buffer.from(line)
  let offset = 0
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset)
    return true
  } catch {
    return offset === bytes.length
  }
}
