import {closeSync, fstatSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'

const NEWLINE = 0x0a

/**
 * An append-only log file with a size cap. The supervisor writes every chunk itself, so a
 * rotation happens between two writes and loses no byte; it cuts at a line end when it can.
 */
export class RotatingLog {
  private fd: number
  private size: number

  constructor(
    readonly path: string,
    private readonly maxSize: number,
    private readonly keepFiles: number,
  ) {
    this.fd = openSync(path, 'a', 0o640)
    this.size = fstatSync(this.fd).size
  }

  write(chunk: Buffer): void {
    let rest = chunk
    while (this.size + rest.length > this.maxSize && rest.length > 0) {
      const room = this.maxSize - this.size
      // Fill the current file up to its last whole line that fits; if no line end fits, a file
      // that already has content rotates first, and an empty one takes the cut as it comes.
      const lineEnd = rest.subarray(0, Math.max(room, 0)).lastIndexOf(NEWLINE)
      const head = lineEnd === -1 ? (this.size > 0 ? 0 : room) : lineEnd + 1
      if (head > 0) this.append(rest.subarray(0, head))
      rest = rest.subarray(head)
      this.rotate()
    }

    if (rest.length > 0) this.append(rest)
  }

  /** Continues in a file of this name: the one there now, or a new one (after logrotate moved it away). */
  reopen(): void {
    closeSync(this.fd)
    this.fd = openSync(this.path, 'a', 0o640)
    this.size = fstatSync(this.fd).size
  }

  close(): void {
    closeSync(this.fd)
  }

  private append(data: Buffer): void {
    let offset = 0
    while (offset < data.length) offset += writeSync(this.fd, data, offset)
    this.size += data.length
  }

  /** path -> path.1 -> ... -> path.<keepFiles>; the oldest falls off. */
  private rotate(): void {
    closeSync(this.fd)
    rmSync(`${this.path}.${this.keepFiles}`, {force: true})
    for (let n = this.keepFiles - 1; n >= 1; n--) {
      try {
        renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }

    renameSync(this.path, `${this.path}.1`)
    this.fd = openSync(this.path, 'a', 0o640)
    this.size = 0
  }
}
