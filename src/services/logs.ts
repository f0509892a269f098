import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs'

import type {Output} from '../cli/errors.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE} from '../model/names.js'
import {type HomePaths, logFilePaths} from '../store/home.js'

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
  if (!PROCESS_NAME_PATTERN.test(request.name)) {
    throw new TspmError(`"${request.name}" is not a process name (${PROCESS_NAME_RULE})`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  const logs = logFilePaths(paths.logsDir, request.name)
  const streams = request.stream ? [logs[request.stream]] : [logs.out, logs.err]
  const files = streams.filter((file) => existsSync(file))
  if (files.length === 0) {
    throw new TspmError(`no logs for "${request.name}" in ${paths.logsDir}; see \`tspm list\` for the names`, {
      code: 'unknown_process',
    })
  }

  const headed = streams.length > 1
  for (const file of files) {
    if (headed) output.log(`==> ${file} <==`)
    for (const line of tailLines(file, request.lines)) output.log(line)
  }

  if (!request.follow) return {files}

  const stops = files.map((file) =>
    followFile(file, (text) => process.stdout.write(headed ? prefixLines(text, file) : text)),
  )
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

function prefixLines(text: string, file: string): string {
  const tag = file.endsWith('-err.log') ? 'err | ' : 'out | '
  return text.replaceAll(/^(?=.)/gm, tag)
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
