import {closeSync, fstatSync, ftruncateSync, readSync, renameSync, rmSync, writeSync} from 'node:fs'

import {
  type EmptiedLog,
  readTimeRecord,
  removeRotatedLogs,
  rotatedPath,
  TIME_RECORD_BYTES,
  timesPath,
  writeTimeRecord,
} from '../store/log-times.js'
import {openForAppend} from '../store/private-file.js'

const NEWLINE = 0x0a

/** Bytes of output dropped by every log of this supervisor since it started (for the metrics). */
let droppedBytesTotal = 0

export function logBytesDroppedTotal(): number {
  return droppedBytesTotal
}

/**
 * An append-only log file with a size cap, written by the supervisor chunk by chunk, so a
 * rotation happens between two writes and loses no byte. Rotation never splits a line: a file
 * that ends inside a line takes the rest of that line first, even past the cap (only a line
 * longer than the cap itself is cut, at the cap).
 *
 * Beside it, its time file (store/log-times.ts) says when each part arrived, so the log itself
 * stays exactly what the app wrote; the time files rotate with the logs.
 *
 * Writing never throws: a file that cannot be opened (a planted symbolic link, another user's
 * file) or written (a full disk, a quota, an I/O error) makes its output dropped and counted,
 * reported once through `report`, and writing resumes by itself when it can. A time file that
 * cannot be written costs the times, never a line.
 */
export class RotatingLog {
  /** Bytes of output lost because the file could not be written. */
  droppedBytes = 0
  private fd: number | undefined
  /** Device and inode of the open file, so a reopen knows whether it found the same file. */
  private identity: string | undefined
  private size = 0
  /** Bytes written since the last newline of the current file. */
  private lineLength = 0
  /** The problem being reported, so it is reported once, not at every chunk. */
  private problem: string | undefined
  private readonly times: TimesWriter

  constructor(
    readonly path: string,
    private readonly maxSize: number,
    private readonly keepFiles: number,
    private readonly report: (message: string) => void = () => {},
  ) {
    this.times = new TimesWriter(timesPath(path), report)
    this.open()
  }

  /** Writes a chunk of output that arrived at `now` (epoch ms). */
  write(chunk: Buffer, now: number): void {
    if (this.fd === undefined && !this.open()) {
      this.drop(chunk.length)
      return
    }

    let rest = chunk
    while (rest.length > 0) {
      const room = this.maxSize - this.size
      if (rest.length <= room) {
        this.append(rest, now)
        return
      }

      const head = this.bytesBeforeRotation(rest, room)
      if (head > 0 && !this.append(rest.subarray(0, head), now)) {
        this.drop(rest.length - head)
        return
      }

      rest = rest.subarray(head)
      if (!this.rotate()) {
        this.drop(rest.length)
        return
      }
    }
  }

  /** Continues in a file of this name: the one there now, or a new one (after logrotate moved it away). */
  reopen(): void {
    const previous = this.identity
    this.closeFile()
    this.open(previous)
  }

  /**
   * Empties the log while the app keeps writing: the open file is truncated (writes append, so
   * the next one lands at offset 0 and nothing written after this is lost), its times too, and
   * the rotated files are removed. Throws when the file cannot be emptied.
   */
  flush(): EmptiedLog {
    if (this.fd === undefined && !this.open()) throw new Error(`cannot open ${this.path} (see tspm.log)`)
    // The log first, then its times: a reader that sees the times emptied finds the log emptied too.
    ftruncateSync(this.fd!, 0)
    this.times.truncate()
    this.size = 0
    this.lineLength = 0
    return {emptied: [this.path], removed: removeRotatedLogs(this.path)}
  }

  close(): void {
    this.closeFile()
    this.times.close()
  }

  /** How much of `rest` goes into the current file before it rotates (`rest` does not fit whole). */
  private bytesBeforeRotation(rest: Buffer, room: number): number {
    const lineEnd = rest.indexOf(NEWLINE)
    if (this.lineLength > 0) {
      // Inside a line: its rest stays in this file, unless the line is longer than a whole file.
      if (lineEnd !== -1 && this.lineLength + lineEnd + 1 <= this.maxSize) return lineEnd + 1
      return Math.max(room, 0)
    }

    // At a line boundary: the whole lines that fit; a line that does not fit starts the next file.
    const lastFit = rest.subarray(0, Math.max(room, 0)).lastIndexOf(NEWLINE)
    if (lastFit !== -1) return lastFit + 1
    return this.size > 0 ? 0 : room
  }

  /** `previous`: the file open before a reopen; its times are kept only if the same file is found. */
  private open(previous?: string): boolean {
    try {
      this.fd = openForAppend(this.path, 0o640)
      const stat = fstatSync(this.fd)
      this.size = stat.size
      this.lineLength = 0
      this.identity = `${stat.dev}:${stat.ino}`
    } catch (error) {
      this.fd = undefined
      this.fail(`cannot open ${this.path}: ${(error as Error).message}`)
      return false
    }

    this.times.open(this.size, previous === undefined || previous === this.identity)
    return true
  }

  private append(data: Buffer, now: number): boolean {
    // Before the bytes: a reader that sees them finds their time.
    this.times.note(this.size, now)
    let offset = 0
    try {
      while (offset < data.length) offset += writeSync(this.fd!, data, offset)
    } catch (error) {
      this.size += offset
      this.drop(data.length - offset)
      this.fail(`cannot write ${this.path}: ${(error as Error).message}`)
      return false
    }

    this.size += data.length
    const lastNewline = data.lastIndexOf(NEWLINE)
    this.lineLength = lastNewline === -1 ? this.lineLength + data.length : data.length - lastNewline - 1
    if (this.problem) {
      this.report(`writing ${this.path} again (${this.droppedBytes} bytes of output dropped so far)`)
      this.problem = undefined
    }

    return true
  }

  /** path -> path.1 -> ... -> path.<keepFiles>, each with its times; the oldest falls off. False when no new file could be opened. */
  private rotate(): boolean {
    this.close()
    try {
      const oldest = rotatedPath(this.path, this.keepFiles)
      rmSync(oldest, {force: true})
      rmSync(timesPath(oldest), {force: true})
      for (let n = this.keepFiles - 1; n >= 1; n--) moveLog(rotatedPath(this.path, n), rotatedPath(this.path, n + 1))
      moveLog(this.path, rotatedPath(this.path, 1), {mustExist: true})
      this.fd = openForAppend(this.path, 0o640, {create: 'new'})
      const stat = fstatSync(this.fd)
      this.identity = `${stat.dev}:${stat.ino}`
      this.size = 0
      this.lineLength = 0
      this.times.open(0, false)
      return true
    } catch (error) {
      this.fail(`cannot rotate ${this.path}: ${(error as Error).message}`)
      return this.open()
    }
  }

  private drop(bytes: number): void {
    this.droppedBytes += bytes
    droppedBytesTotal += bytes
  }

  private fail(problem: string): void {
    if (this.problem !== undefined) return
    this.problem = problem
    this.report(`${problem}; this output is dropped (and counted) until it can be written`)
  }

  private closeFile(): void {
    if (this.fd === undefined) return
    try {
      closeSync(this.fd)
    } catch {
      // nothing more to lose
    }

    this.fd = undefined
  }
}

/**
 * A log and then its times to their next name. The log moves first: a reader that finds the log
 * at its new name and then opens the times of that name gets its times, or none, never another's.
 */
function moveLog(from: string, to: string, {mustExist = false} = {}): void {
  try {
    renameSync(from, to)
  } catch (error) {
    if (mustExist || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  try {
    renameSync(timesPath(from), timesPath(to))
  } catch {
    // No times (a log written before they were kept, or one that could not be written): none at its new name either.
    rmSync(timesPath(to), {force: true})
  }
}

/**
 * The time file of one log: a record whenever a write starts at another millisecond than the
 * last record's, so a flood costs at most one small write per millisecond, a quiet app one per
 * chunk. Never throws; a failure is reported once and costs only times.
 */
class TimesWriter {
  private fd: number | undefined
  /** Bytes of whole records in the file. */
  private length = 0
  private lastMs: number | undefined
  private readonly record = Buffer.alloc(TIME_RECORD_BYTES)
  private failing = false

  constructor(
    private readonly path: string,
    private readonly report: (message: string) => void,
  ) {}

  /**
   * Opens the times of a log of `logSize` bytes. What is there is kept when `keep` and it fits
   * that log (its last record within it); otherwise the times start empty: no time is better
   * than a wrong one.
   */
  open(logSize: number, keep: boolean): void {
    this.close()
    this.lastMs = undefined
    try {
      this.fd = openForAppend(this.path, 0o640, {read: true})
      const {size} = fstatSync(this.fd)
      // A record cut short (a crash mid-write) is dropped.
      let length = keep && logSize > 0 ? size - (size % TIME_RECORD_BYTES) : 0
      if (length > 0) {
        readSync(this.fd, this.record, 0, TIME_RECORD_BYTES, length - TIME_RECORD_BYTES)
        const last = readTimeRecord(this.record, 0)
        if (last.offset <= logSize) this.lastMs = last.ms
        else length = 0
      }

      if (length !== size) ftruncateSync(this.fd, length)
      this.length = length
      this.failing = false
    } catch (error) {
      this.close()
      this.fail(`cannot open ${this.path}`, error)
    }
  }

  /** The bytes of the log from `offset` on arrived at `ms`. */
  note(offset: number, ms: number): void {
    if (ms === this.lastMs || this.fd === undefined) return
    writeTimeRecord(this.record, 0, offset, ms)
    try {
      if (writeSync(this.fd, this.record, 0, TIME_RECORD_BYTES) !== TIME_RECORD_BYTES) {
        ftruncateSync(this.fd, this.length)
        throw new Error('short write')
      }

      this.length += TIME_RECORD_BYTES
      this.lastMs = ms
      this.failing = false
    } catch (error) {
      this.fail(`cannot write ${this.path}`, error)
    }
  }

  truncate(): void {
    this.lastMs = undefined
    if (this.fd === undefined) {
      // Not open (it could not be): empty what is there anyway, so no stale time is read.
      this.open(0, false)
      return
    }

    try {
      ftruncateSync(this.fd, 0)
      this.length = 0
    } catch (error) {
      this.fail(`cannot empty ${this.path}`, error)
    }
  }

  close(): void {
    if (this.fd === undefined) return
    try {
      closeSync(this.fd)
    } catch {
      // only times
    }

    this.fd = undefined
  }

  private fail(what: string, error: unknown): void {
    if (this.failing) return
    this.failing = true
    this.report(`${what}: ${(error as Error).message}; lines are logged without their arrival times until it works`)
  }
}
