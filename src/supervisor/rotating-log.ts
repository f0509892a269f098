import {closeSync, fstatSync, renameSync, rmSync, writeSync} from 'node:fs'

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
 * Writing never throws: a file that cannot be opened (a planted symbolic link, another user's
 * file) or written (a full disk, a quota, an I/O error) makes its output dropped and counted,
 * reported once through `report`, and writing resumes by itself when it can.
 */
export class RotatingLog {
  /** Bytes of output lost because the file could not be written. */
  droppedBytes = 0
  private fd: number | undefined
  private size = 0
  /** Bytes written since the last newline of the current file. */
  private lineLength = 0
  /** The problem being reported, so it is reported once, not at every chunk. */
  private problem: string | undefined

  constructor(
    readonly path: string,
    private readonly maxSize: number,
    private readonly keepFiles: number,
    private readonly report: (message: string) => void = () => {},
  ) {
    this.open()
  }

  write(chunk: Buffer): void {
    if (this.fd === undefined && !this.open()) {
      this.drop(chunk.length)
      return
    }

    let rest = chunk
    while (rest.length > 0) {
      const room = this.maxSize - this.size
      if (rest.length <= room) {
        this.append(rest)
        return
      }

      const head = this.bytesBeforeRotation(rest, room)
      if (head > 0 && !this.append(rest.subarray(0, head))) {
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
    this.closeFile()
    this.open()
  }

  close(): void {
    this.closeFile()
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

  private open(): boolean {
    try {
      this.fd = openForAppend(this.path, 0o640)
      this.size = fstatSync(this.fd).size
      this.lineLength = 0
      return true
    } catch (error) {
      this.fd = undefined
      this.fail(`cannot open ${this.path}: ${(error as Error).message}`)
      return false
    }
  }

  private append(data: Buffer): boolean {
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

  /** path -> path.1 -> ... -> path.<keepFiles>; the oldest falls off. False when no new file could be opened. */
  private rotate(): boolean {
    this.closeFile()
    try {
      rmSync(`${this.path}.${this.keepFiles}`, {force: true})
      for (let n = this.keepFiles - 1; n >= 1; n--) {
        try {
          renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        }
      }

      renameSync(this.path, `${this.path}.1`)
      this.fd = openForAppend(this.path, 0o640, {create: 'new'})
      this.size = 0
      this.lineLength = 0
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
