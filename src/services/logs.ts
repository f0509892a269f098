import {closeSync, existsSync, openSync, readdirSync, readSync, statSync} from 'node:fs'

import type {Output} from '../cli/errors.js'

import {SupervisorClient, SupervisorNotRunningError} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE} from '../model/names.js'
import {appLogPaths, type HomePaths, type LogSettings} from '../store/home.js'

export interface LogsRequest {
  name: string
  lines: number
  follow: boolean
  /** Only one stream; both when undefined. */
  stream?: 'err' | 'out'
}

/**
 * `tspm logs`: reads the log files directly (no supervisor needed). With both streams each file's
 * lines come under a header; with one they come bare, ready for a pipe. Following ends on SIGINT
 * or SIGTERM.
 */
export async function showLogs(paths: HomePaths, request: LogsRequest, output: Output): Promise<{files: string[]}> {
  const [name, only] = splitTarget(request.name)
  const settings = await logSettings(paths, name)
  const logs = instanceLogs(paths.logsDir, settings, only).flatMap(({instance, files}) =>
    (request.stream ? [request.stream] : (['out', 'err'] as const)).map((stream) => ({
      instance,
      stream,
      file: files[stream],
    })),
  )
  const found = logs.filter((log) => existsSync(log.file))
  if (found.length === 0) {
    throw new TspmError(`no logs for "${request.name}" in ${paths.logsDir}; see \`tspm list\` for the names`, {
      code: 'unknown_process',
    })
  }

  const headed = logs.length > 1
  const severalInstances = new Set(found.map((log) => log.instance)).size > 1
  for (const {file} of found) {
    if (headed) output.log(`==> ${file} <==`)
    for (const line of tailLines(file, request.lines)) output.log(line)
  }

  const files = found.map((log) => log.file)
  if (!request.follow) return {files}

  const stops = found.map(({file, instance, stream}) => {
    const tag = `${severalInstances ? `${name}:${instance} ` : ''}${stream} | `
    return followFile(file, (text) => process.stdout.write(headed ? text.replaceAll(/^(?=.)/gm, tag) : text))
  })
  await new Promise<void>((resolve) => {
    const finish = () => {
      for (const stop of stops) stop()
      resolve()
    }

    process.once('SIGINT', finish)
    process.once('SIGTERM', finish)
  })
  return {files}
}

/** `web` or `web:2`, checked: the app's name and the one instance asked for, if any. */
function splitTarget(target: string): [string, number | undefined] {
  const match = /^(.+):(\d+)$/.exec(target)
  const name = match ? match[1]! : target
  if (!PROCESS_NAME_PATTERN.test(name)) {
    throw new TspmError(`"${target}" is not a process name (${PROCESS_NAME_RULE}, or name:N for one instance)`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  return [name, match ? Number(match[2]) : undefined]
}

/**
 * Where an app's logs go (out_file, error_file, merge_logs): from the running supervisor, else from
 * the saved list; an app known to neither writes to $TSPM_HOME/logs.
 */
async function logSettings(paths: HomePaths, name: string): Promise<LogSettings> {
  const byName = (entries: Array<{spec: LogSettings}>) => entries.find((entry) => entry.spec.name === name)?.spec
  try {
    return byName(await new SupervisorClient(paths).saved()) ?? {name}
  } catch (error) {
    if (!(error instanceof SupervisorNotRunningError)) return {name}
  }

  try {
    const {loadDump} = await import('../store/dump.js')
    return byName((await loadDump(paths)).processes) ?? {name}
  } catch {
    return {name}
  }
}

/** The log files of an app's instances that exist (instance 0's always listed), or of one instance. */
function instanceLogs(
  logsDir: string,
  settings: LogSettings,
  only: number | undefined,
): Array<{files: {err: string; out: string}; instance: number}> {
  if (only !== undefined) return [{instance: only, files: appLogPaths(settings, logsDir, only)}]
  const {name} = settings
  const pattern = new RegExp(`^${name.replaceAll(/[.]/g, String.raw`\.`)}-(?:out|err)-(\\d+)\\.log$`)
  const numbers = new Set([0])
  // Instances with their own files: found among the files (merged logs have only instance 0's).
  for (const entry of settings.merge_logs || !existsSync(logsDir) ? [] : readdirSync(logsDir, {withFileTypes: true})) {
    const match = pattern.exec(entry.name)
    if (match && entry.isFile()) numbers.add(Number(match[1]))
  }

  for (let instance = 1; !settings.merge_logs && (settings.out_file || settings.error_file); instance++) {
    const files = appLogPaths(settings, logsDir, instance)
    if (!existsSync(files.out) && !existsSync(files.err)) break
    numbers.add(instance)
  }

  return [...numbers]
    .sort((a, b) => a - b)
    .map((instance) => ({instance, files: appLogPaths(settings, logsDir, instance)}))
}

const CHUNK = 64 * 1024

/** The last `count` lines of a file, read from its end (a log can be large). */
export function tailLines(path: string, count: number): string[] {
  if (count <= 0) return []
  const fd = openSync(path, 'r')
  try {
    let position = statSync(path).size
    const chunks: Buffer[] = []
    let newlines = 0
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK, position)
      position -= length
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, position)
      chunks.unshift(buffer)
      // Counted in bytes: a newline byte is never part of a multi-byte UTF-8 character.
      for (let at = buffer.indexOf(0x0a); at !== -1; at = buffer.indexOf(0x0a, at + 1)) newlines++
    }

    // Decoded once, whole: a character cut by a chunk boundary would become two replacement characters.
    const lines = Buffer.concat(chunks).toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-count)
  } finally {
    closeSync(fd)
  }
}

/**
 * Follows a log as `tail -F` does: prints what is appended, and starts over on the new file when
 * the log rotates (its inode changes or it shrinks).
 */
export function followFile(path: string, onData: (text: string) => void, intervalMs = 200): () => void {
  let {ino, size: offset} = statOrEmpty(path)
  const timer = setInterval(() => {
    const current = statOrEmpty(path)
    if (current.ino !== ino || current.size < offset) {
      ino = current.ino
      offset = 0
    }

    if (current.size <= offset) return
    const fd = openSync(path, 'r')
    try {
      const buffer = Buffer.alloc(current.size - offset)
      const read = readSync(fd, buffer, 0, buffer.length, offset)
      offset += read
      onData(buffer.subarray(0, read).toString('utf8'))
    } finally {
      closeSync(fd)
    }
  }, intervalMs)
  return () => clearInterval(timer)
}

function statOrEmpty(path: string): {ino: number; size: number} {
  try {
    const {ino, size} = statSync(path)
    return {ino, size}
  } catch {
    return {ino: -1, size: 0}
  }
}
