/**
 * The one place monit reads logs: the last lines of one instance's files, by where `tspm logs`
 * finds them (appLogPaths) and with its reader, arrival times included.
 */
import {lastLines, openLog, type LogLine as TimedLine} from '../services/log-reader.js'
import {appLogPaths, type LogSettings} from '../store/home.js'

export interface LogLine {
  /** Which file it is from; `both` for an app's log_file, which has both streams in order. */
  stream: 'both' | 'err' | 'out'
  text: string
}

/**
 * The last `count` lines instance `instance` of an app wrote, out and err interleaved in the
 * order they arrived (from the times kept beside each log; a line without a time keeps its place
 * in its own file). A missing or unreadable file has no lines.
 */
export function recentLogLines(logsDir: string, settings: LogSettings, instance: number, count: number): LogLine[] {
  const files = appLogPaths(settings, logsDir, instance)
  if (files.combined) {
    const lines = readTail(files.combined, count)
    if (lines) return lines.map(({text}) => ({stream: 'both', text}))
  }

  // out_file and error_file may name the same file: read it once.
  const streams = files.out === files.err ? (['out'] as const) : (['out', 'err'] as const)
  const lines = streams.flatMap((stream) => (readTail(files[stream], count) ?? []).map((line) => ({...line, stream})))
  // Stable: lines of one file keep their order; a line with no time sorts as the earliest.
  lines.sort((a, b) => (a.time ?? 0) - (b.time ?? 0))
  return lines.slice(-count).map(({stream, text}) => ({stream, text}))
}

function readTail(file: string, count: number): TimedLine[] | undefined {
  try {
    const log = openLog(file)
    if (!log) return undefined
    try {
      return lastLines(log, log.size, count)
    } finally {
      log.close()
    }
  } catch {
    return undefined
  }
}
