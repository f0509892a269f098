import {watch} from 'node:fs'
import {dirname} from 'node:path'

import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {compileDateFormat} from '../model/date-format.js'
import {type Colour, colourEnabled, paint} from '../views/format.js'
import {selectAppLogs} from './app-logs.js'
import {lastLines, LogFollower, type LogLine, openLog} from './log-reader.js'

export interface LogsRequest {
  /** Apps (`web`) or instances (`web:2`); none (or `all`): every app. */
  names: string[]
  /** From the end of each file. */
  lines: number
  follow: boolean
  /** Only one stream; both when undefined. */
  stream?: 'err' | 'out'
  /** Each line's arrival time in front of it. */
  timestamp?: boolean
  /** One JSON object per line (NDJSON), no envelope. */
  json?: boolean
}

/** One log file shown, and how its lines are labelled. */
interface ShownLog {
  app: string
  /** null: every instance writes this file (merge_logs). */
  instance: null | number
  stream: 'err' | 'out'
  path: string
  /** What goes before ` | `: `web`, `web err`, `web:1`, `web:1 err`. */
  label: string
  colour: Colour
}

/** An arrival time as --timestamp and --json show it: ISO 8601 with milliseconds and the local offset. */
const TIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss.SSSZ'
const APP_COLOURS: Colour[] = ['cyan', 'magenta', 'yellow', 'green', 'blue']
/** Between two looks at followed files when nothing tells of a change (fs.watch usually does, sooner). */
const FOLLOW_POLL_MS = 250
/** After fs.watch told of a change: a short wait gathers the writes of the same moment into one read. */
const WATCH_DELAY_MS = 10
/** A file had more to read, or a rotation was under way. */
const AGAIN_MS = 2

/**
 * `tspm logs`: reads the log files directly (no supervisor needed). The last lines of each file,
 * the lines of all files in the order they arrived (from the time files the supervisor keeps
 * beside the logs), each after its label (`web | `, `web err | `, `web:1 | `); one file (one app
 * of one instance, one stream) comes bare, ready for a pipe. Following goes on across rotations
 * and flushes until SIGINT or SIGTERM.
 */
export async function showLogs(
  paths: HomePaths,
  request: LogsRequest,
  output: Output,
  stdout: NodeJS.WriteStream = process.stdout,
): Promise<undefined | {files: string[]}> {
  const logs = shownLogs(await selectAppLogs(paths, request.names), request.stream)
  const render = renderer(logs, request, colourEnabled(stdout))
  // Each file is read through the descriptor that following goes on with, so nothing falls between.
  const opened = logs.map((log) => {
    const file = openLog(log.path)
    const size = file?.size ?? 0
    return {log, file, size, lines: file ? lastLines(file, size, request.lines) : []}
  })
  // `tspm logs | head`: a reader that has had enough is no error.
  const closedPipe = () => {}
  stdout.on('error', closedPipe)
  write(
    stdout,
    interleave(opened).map(([log, line]) => render(log, line)),
  )
  const files = opened.filter(({file}) => file).map(({log}) => log.path)
  if (files.length === 0 && !request.follow)
    output.note(`nothing logged yet by ${[...new Set(logs.map((log) => log.app))].join(', ') || 'any app'}`)
  if (request.follow) {
    await follow(
      opened.map(({log, file, size}) => ({
        log,
        follower: new LogFollower(log.path, file ? {file, position: size} : undefined),
      })),
      render,
      stdout,
    )
  } else {
    for (const {file} of opened) file?.close()
  }

  stdout.off('error', closedPipe)
  return request.json ? undefined : {files}
}

/** The files of the apps, each stream of each instance, labelled. */
function shownLogs(apps: Awaited<ReturnType<typeof selectAppLogs>>, only: LogsRequest['stream']): ShownLog[] {
  const streams = only ? [only] : (['out', 'err'] as const)
  const seen = new Set<string>()
  return apps.flatMap(({settings, instances, namedInstance}, index) => {
    const showInstance = namedInstance || instances.length > 1
    return instances.flatMap(({instance, files}) =>
      streams.flatMap((stream) => {
        const path = files[stream]
        if (path === '/dev/null' || seen.has(path)) return []
        seen.add(path)
        const who = showInstance ? `${settings.name}:${instance}` : settings.name
        return [
          {
            app: settings.name,
            instance: settings.merge_logs ? null : instance,
            stream,
            path,
            label: stream === 'err' ? `${who} err` : who,
            colour: APP_COLOURS[index % APP_COLOURS.length]!,
          },
        ]
      }),
    )
  })
}

/** How a line is printed: NDJSON; or its time (--timestamp), its label (unless one file is shown) and the line. */
function renderer(logs: ShownLog[], request: LogsRequest, colour: boolean): (log: ShownLog, line: LogLine) => string {
  const iso = request.json || request.timestamp ? compileDateFormat(TIME_FORMAT) : undefined
  if (request.json) {
    return (log, {text, time}) =>
      `${JSON.stringify({app: log.app, instance: log.instance, stream: log.stream, time: time === null ? null : iso!(time), text})}\n`
  }

  // A line with no known time gets a blank as wide as a time, so the lines stay aligned.
  const noTime = iso ? ' '.repeat(iso(0).length) : ''
  const width = Math.max(...logs.map((log) => log.label.length))
  const prefixes = new Map(
    logs.map((log) => {
      if (logs.length === 1) return [log, '']
      const padding = ' '.repeat(width - log.label.length)
      const label =
        log.stream === 'err'
          ? `${paint(log.label.slice(0, -4), log.colour, colour)} ${paint('err', 'red', colour)}`
          : paint(log.label, log.colour, colour)
      return [log, `${label}${padding} | `]
    }),
  )
  return (log, {text, time}) => `${iso ? `${time === null ? noTime : iso(time)} ` : ''}${prefixes.get(log)}${text}\n`
}

/**
 * The lines of several files in the order they arrived; each file's own order is kept, and a line
 * without a time goes with the line before it in its file (at a file's start: first).
 */
function interleave<T extends {lines: LogLine[]; log: ShownLog}>(perFile: T[]): Array<[ShownLog, LogLine]> {
  const queues = perFile
    .filter(({lines}) => lines.length > 0)
    .map(({log, lines}) => {
      const keys: number[] = []
      for (const line of lines) keys.push(line.time ?? keys.at(-1) ?? Number.NEGATIVE_INFINITY)
      return {log, lines, keys, next: 0}
    })
  if (queues.length === 1) return queues[0]!.lines.map((line) => [queues[0]!.log, line])
  const merged: Array<[ShownLog, LogLine]> = []
  for (;;) {
    let earliest: (typeof queues)[number] | undefined
    for (const queue of queues) {
      if (queue.next < queue.lines.length && (!earliest || queue.keys[queue.next]! < earliest.keys[earliest.next]!))
        earliest = queue
    }

    if (!earliest) return merged
    merged.push([earliest.log, earliest.lines[earliest.next++]!])
  }
}

function write(stdout: NodeJS.WriteStream, texts: string[]): void {
  if (texts.length > 0) stdout.write(texts.join(''))
}

/**
 * Follows every file until SIGINT or SIGTERM (or until stdout is closed): fs.watch on their
 * folders says when something changed, a slow poll catches what it does not; each look reads what
 * came in every file and prints it in the order it arrived.
 */
async function follow(
  followed: Array<{follower: LogFollower; log: ShownLog}>,
  render: (log: ShownLog, line: LogLine) => string,
  stdout: NodeJS.WriteStream,
): Promise<void> {
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined
    let due = Number.POSITIVE_INFINITY
    let stopped = false
    const schedule = (ms: number) => {
      const at = Date.now() + ms
      if (stopped || (timer && at >= due)) return
      clearTimeout(timer)
      due = at
      timer = setTimeout(look, ms)
    }

    const look = () => {
      timer = undefined
      due = Number.POSITIVE_INFINITY
      const polled = followed.map(({follower, log}) => ({log, ...follower.poll()}))
      write(
        stdout,
        interleave(polled).map(([log, line]) => render(log, line)),
      )
      schedule(polled.some(({again}) => again) ? AGAIN_MS : FOLLOW_POLL_MS)
    }

    const watchers = [...new Set(followed.map(({log}) => dirname(log.path)))].flatMap((dir) => {
      try {
        return [watch(dir, () => schedule(WATCH_DELAY_MS))]
      } catch {
        return [] // no such folder yet, or no inotify left: the poll alone
      }
    })
    const finish = () => {
      stopped = true
      clearTimeout(timer)
      for (const watcher of watchers) watcher.close()
      for (const {follower} of followed) follower.close()
      process.off('SIGINT', finish)
      process.off('SIGTERM', finish)
      stdout.off('error', finish)
      resolve()
    }

    process.once('SIGINT', finish)
    process.once('SIGTERM', finish)
    // `tspm logs -f | head`: once the reader has gone, there is nobody to follow for.
    stdout.once('error', finish)
    schedule(0)
  })
}
