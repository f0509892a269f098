/**
 * The one place monit reads logs: the last lines of one instance's files, by where `tspm logs`
 * finds them (appLogPaths) and with its reader (tailLines).
 */
import {statSync} from 'node:fs'

import {tailLines} from '../services/logs.js'
import {appLogPaths, type LogSettings} from '../store/home.js'

export interface LogLine {
  /** Which file it is from; `both` for an app's log_file, which has both streams in order. */
  stream: 'both' | 'err' | 'out'
  text: string
}

/**
 * The last `count` lines instance `instance` of an app wrote. Two files without time stamps cannot
 * be interleaved line by line, so the file written to last comes last: the newest lines are at the
 * bottom. A missing or unreadable file has no lines.
 */
export function recentLogLines(logsDir: string, settings: LogSettings, instance: number, count: number): LogLine[] {
  const files = appLogPaths(settings, logsDir, instance)
  if (files.combined) {
    const lines = readTail(files.combined, count)
    if (lines) return lines.map((text) => ({stream: 'both', text}))
  }

  // out_file and error_file may name the same file: read it once.
  const streams = (files.out === files.err ? (['out'] as const) : (['out', 'err'] as const))
    .map((stream) => ({stream, lines: readTail(files[stream], count) ?? [], written: modifiedAt(files[stream])}))
    .sort((a, b) => a.written - b.written)
  return streams.flatMap(({stream, lines}) => lines.map((text) => ({stream, text}))).slice(-count)
}

function readTail(file: string, count: number): string[] | undefined {
  try {
    return tailLines(file, count)
  } catch {
    return undefined
  }
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return 0
  }
}
