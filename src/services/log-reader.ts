/**
 * Reading log files: their lines with each line's byte offset and arrival time (from the time file
 * beside the log, store/log-times.ts), the last N lines read from the end, and following a log as
 * it grows, rotates and is emptied, with no line lost or doubled. Only node:fs; no supervisor.
 */
import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'

import {MAX_ROTATED_FILES, rotatedPath, TIME_RECORD_BYTES, timesPath} from '../store/log-times.js'

const NEWLINE = 0x0a

export interface LogLine {
  /** Where the line starts in its file, in bytes. */
  offset: number
  text: string
  /** When it arrived (epoch ms); null when its file has no time for it (no time file). */
  time: null | number
}

interface Identity {
  dev: number
  ino: number
}

const sameFile = (a: Identity | undefined, b: Identity | undefined) =>
  a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino

function statOf(path: string): Identity | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The arrival times of one open log: its time records, read as needed (a time file can be large). */
export class ArrivalTimes {
  private count = 0
  /** Records read ahead for lookups that move forward (a DataView: its reads are builtins, fast from the first call). */
  private block = Buffer.alloc(0)
  private view = new DataView(this.block.buffer)
  private readonly one = Buffer.alloc(TIME_RECORD_BYTES)
  private readonly oneView = new DataView(this.one.buffer, this.one.byteOffset, TIME_RECORD_BYTES)
  private blockStart = 0
  private blockCount = 0

  constructor(readonly fd: number) {
    this.refresh()
  }

  /** How many records the file holds now. */
  get length(): number {
    return this.count
  }

  /** Looks again how many records there are (the supervisor appends them). */
  refresh(): number {
    const count = Math.floor(fstatSync(this.fd).size / TIME_RECORD_BYTES)
    // Fewer than before: it was emptied (and maybe written again); nothing read ahead holds.
    if (count < this.count) this.blockCount = 0
    this.count = count
    return count
  }

  /** Record `index`, read from the file now (not from what was read ahead). */
  readNow(index: number): undefined | {offset: number; ms: number} {
    const read = readSync(this.fd, this.one, 0, TIME_RECORD_BYTES, index * TIME_RECORD_BYTES)
    return read === TIME_RECORD_BYTES
      ? {offset: this.oneView.getFloat64(0, true), ms: this.oneView.getFloat64(8, true)}
      : undefined
  }

  /** Where the bytes of record `index` (< length) start in its log, from a block read ahead. */
  offsetAt(index: number): number {
    const at = this.inBlock(index)
    return at === undefined ? Number.POSITIVE_INFINITY : this.view.getFloat64(at, true)
  }

  /** When the bytes of record `index` (< length) arrived. */
  msAt(index: number): number {
    const at = this.inBlock(index)
    return at === undefined ? Number.NaN : this.view.getFloat64(at + 8, true)
  }

  /** Where record `index` is in the block, read ahead from it when it is not there; undefined past the end. */
  private inBlock(index: number): number | undefined {
    if (index < this.blockStart || index >= this.blockStart + this.blockCount) {
      const wanted = Math.min(4096, this.count - index)
      if (wanted <= 0) return undefined
      if (this.block.length < wanted * TIME_RECORD_BYTES) {
        this.block = Buffer.alloc(4096 * TIME_RECORD_BYTES)
        this.view = new DataView(this.block.buffer, this.block.byteOffset, this.block.length)
      }

      const read = readSync(this.fd, this.block, 0, wanted * TIME_RECORD_BYTES, index * TIME_RECORD_BYTES)
      this.blockStart = index
      this.blockCount = Math.floor(read / TIME_RECORD_BYTES)
      if (this.blockCount === 0) return undefined
    }

    return (index - this.blockStart) * TIME_RECORD_BYTES
  }

  /**
   * The record that covers the byte at `offset`: the last one at or before it (records are in
   * the order of their offsets), by binary search; -1 when none does.
   */
  search(offset: number): number {
    let low = 0
    let high = this.count - 1
    let found = -1
    while (low <= high) {
      const middle = Math.floor((low + high) / 2)
      const record = this.readNow(middle)
      if (record !== undefined && record.offset <= offset) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }

    return found
  }

  /** Times of offsets that only grow, from `offset` on: each lookup walks forward from the last. */
  cursor(offset: number): (offset: number) => null | number {
    let index = this.search(offset)
    return (at) => {
      while (index + 1 < this.count && this.offsetAt(index + 1) <= at) index++
      return index >= 0 ? this.msAt(index) : null
    }
  }
}

/** A log opened for reading, with the time file that belongs to it when it has one. */
export class OpenLogFile implements Identity {
  readonly dev: number
  readonly ino: number

  constructor(
    readonly path: string,
    readonly fd: number,
    identity: Identity,
    readonly times: ArrivalTimes | undefined,
  ) {
    this.dev = identity.dev
    this.ino = identity.ino
  }

  get size(): number {
    return fstatSync(this.fd).size
  }

  /** Whether the file still has a name (it was not removed). */
  get linked(): boolean {
    return fstatSync(this.fd).nlink > 0
  }

  read(position: number, length: number): Buffer {
    const buffer = Buffer.alloc(length)
    let done = 0
    while (done < length) {
      const read = readSync(this.fd, buffer, done, length - done, position + done)
      if (read === 0) break
      done += read
    }

    return done === length ? buffer : buffer.subarray(0, done)
  }

  close(): void {
    for (const fd of [this.fd, this.times?.fd]) {
      if (fd === undefined) continue
      try {
        closeSync(fd)
      } catch {
        // read only
      }
    }
  }
}

/**
 * Opens a log and its time file as a pair: the pair holds when the log is still at its name once
 * both are open (the supervisor moves a log before its times, so a time file opened while the log
 * was still there is that log's, or missing). `timesExpected`: a missing time file is waited for a
 * moment (a rotation under way has moved the log and not yet its times). Undefined: no such log.
 */
export function openLog(path: string, {timesExpected = false} = {}): OpenLogFile | undefined {
  for (let attempt = 0; ; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch {
      return undefined
    }

    const identity = fstatSync(fd)
    let timesFd: number | undefined
    for (let wait = 0; timesFd === undefined && wait < (timesExpected ? 5 : 1); wait++) {
      if (wait > 0) sleepSync(1)
      try {
        timesFd = openSync(timesPath(path), 'r')
      } catch {
        // none (yet)
      }
    }

    if (sameFile(statOf(path), identity) || attempt >= 5) {
      // After a few tries on a file that keeps moving, its lines come without times.
      const paired = sameFile(statOf(path), identity) ? timesFd : undefined
      if (paired === undefined && timesFd !== undefined) closeSync(timesFd)
      return new OpenLogFile(path, fd, identity, paired === undefined ? undefined : new ArrivalTimes(paired))
    }

    closeSync(fd)
    if (timesFd !== undefined) closeSync(timesFd)
  }
}

const TAIL_CHUNK = 64 * 1024

/** The last `count` lines of the first `size` bytes of an open file, each with its offset, read from the end. */
export function tailLineEntries(fd: number, size: number, count: number): Array<{offset: number; text: string}> {
  if (count <= 0) return []
  let position = size
  const chunks: Buffer[] = []
  let newlines = 0
  while (position > 0 && newlines <= count) {
    const length = Math.min(TAIL_CHUNK, position)
    position -= length
    const buffer = Buffer.alloc(length)
    readSync(fd, buffer, 0, length, position)
    chunks.unshift(buffer)
    for (let at = buffer.indexOf(NEWLINE); at !== -1; at = buffer.indexOf(NEWLINE, at + 1)) newlines++
  }

  const bytes = Buffer.concat(chunks)
  // Lines split at newline bytes (never part of a multi-byte UTF-8 character), each decoded whole.
  const entries: Array<{offset: number; text: string}> = []
  let start = 0
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) {
    entries.push({offset: position + start, text: bytes.toString('utf8', start, at)})
    start = at + 1
  }

  // A last line without a newline is a line.
  if (start < bytes.length) entries.push({offset: position + start, text: bytes.toString('utf8', start)})
  // Read from the middle of the file, the first line may be cut: it is not one of the last `count`.
  return entries.slice(-count)
}

/** The last `count` lines of a file, read from its end (a log can be large). */
export function tailLines(path: string, count: number): string[] {
  const fd = openSync(path, 'r')
  try {
    return tailLineEntries(fd, fstatSync(fd).size, count).map((entry) => entry.text)
  } finally {
    closeSync(fd)
  }
}

/** The last `count` lines of the first `size` bytes of an open log, with their arrival times. */
export function lastLines(file: OpenLogFile, size: number, count: number): LogLine[] {
  const entries = tailLineEntries(file.fd, size, count)
  if (entries.length === 0) return []
  const timeAt = file.times?.cursor(entries[0]!.offset)
  return entries.map(({offset, text}) => ({offset, text, time: timeAt ? timeAt(offset) : null}))
}

/** The most a follower reads of one file per poll, so a flood comes in pieces. */
const MAX_READ = 4 * 1024 * 1024

/** How many polls in a row a rotation under way is looked at again soon, before it is left to the usual pace. */
const QUICK_RETRIES = 50

interface Followed {
  file: OpenLogFile
  /** Bytes of the file consumed: lines passed on, plus `pending`. */
  position: number
  /** The start of a line whose newline has not come yet. */
  pending: Buffer
  timeAt: ((offset: number) => null | number) | undefined
  /** The last time record seen, to notice the times (and so the log) emptied and written again. */
  anchor: {count: number; record?: {offset: number; ms: number}}
  /** The log was seen shorter than what was read, while its times were not emptied yet. */
  shrunk: boolean
}

/**
 * Follows one log across rotations (path -> path.1 -> ... as RotatingLog moves them) and flushes.
 * The open file is read to its end before the next one, which is found by the open file's inode
 * among the rotated files (the one after it), so what a rotation moved away is still read, once;
 * a log emptied in place (tspm flush) is read again from its start. Lines are passed on whole.
 */
export class LogFollower {
  private current: Followed | undefined
  private quickRetries = 0

  /** `start`: the log already open and how much of it was shown; without it, from the start of the file once it exists. */
  constructor(
    readonly path: string,
    start?: {file: OpenLogFile; position: number},
  ) {
    if (start) this.current = this.follow(start.file, start.position)
  }

  /**
   * The lines completed since the last poll, in order, with their times. `again`: more is there
   * to read, or a rotation is under way: poll again soon.
   */
  poll(): {again: boolean; lines: LogLine[]} {
    const lines: LogLine[] = []
    for (;;) {
      if (!this.current) {
        const file = openLog(this.path)
        if (!file) return {lines, again: false}
        this.current = this.follow(file, 0)
      }

      const read = this.readCurrent(lines)
      if (read !== 'done') return {lines, again: read === 'more' || this.retrySoon()}
      if (sameFile(statOf(this.path), this.current.file)) {
        this.quickRetries = 0
        return {lines, again: false}
      }

      // Moved away: the file after it, once there is one.
      const next = this.successor()
      if (!next) return {lines, again: this.retrySoon()}
      // Something was written after it, so it is complete: its last bytes, then the next file.
      while (this.readCurrent(lines) === 'more');
      this.endPendingLine(lines)
      this.current.file.close()
      this.current = this.follow(next, 0)
      this.quickRetries = 0
    }
  }

  close(): void {
    this.current?.file.close()
    this.current = undefined
  }

  private retrySoon(): boolean {
    return ++this.quickRetries <= QUICK_RETRIES
  }

  private follow(file: OpenLogFile, position: number): Followed {
    const followed: Followed = {
      file,
      position,
      pending: Buffer.alloc(0),
      timeAt: file.times?.cursor(position),
      anchor: {count: 0},
      shrunk: false,
    }
    followed.anchor = this.anchorNow(followed)
    return followed
  }

  private anchorNow({file}: Followed): Followed['anchor'] {
    const count = file.times?.refresh() ?? 0
    return count > 0 ? {count, record: file.times!.readNow(count - 1)} : {count}
  }

  /** Whether the times were emptied since the anchor was taken (so the log was: tspm flush). */
  private timesEmptied({file, anchor}: Followed): boolean {
    if (!file.times) return false
    if (file.times.refresh() < anchor.count) return true
    if (anchor.count === 0) return false
    const now = file.times.readNow(anchor.count - 1)
    return now === undefined || now.offset !== anchor.record?.offset || now.ms !== anchor.record.ms
  }

  /** From the start again: the log was emptied in place. */
  private restart(followed: Followed): void {
    followed.file.times?.refresh()
    followed.position = 0
    followed.pending = Buffer.alloc(0)
    followed.timeAt = followed.file.times?.cursor(0)
    followed.anchor = {count: 0}
    followed.shrunk = false
  }

  /**
   * Reads the current file on from where it was: 'done' at its end, 'more' when there is more
   * than one read takes, 'wait' when it looks emptied and its times not yet (a flush is under way).
   */
  private readCurrent(lines: LogLine[]): 'done' | 'more' | 'wait' {
    const followed = this.current!
    for (;;) {
      const {file} = followed
      const {size} = file
      if (size < followed.position) {
        // A flush empties the log, then its times: wait for the times, or it is seen as emptied twice.
        if (file.times && !followed.shrunk && !this.timesEmptied(followed)) {
          followed.shrunk = true
          return 'wait'
        }

        this.restart(followed)
        continue
      }

      const end = Math.min(size, followed.position + MAX_READ)
      const data = end > followed.position ? file.read(followed.position, end - followed.position) : Buffer.alloc(0)
      const anchor = this.anchorNow(followed)
      const fresh = this.splitLines(followed, data)
      // Checked after every read: the times emptied since the last look mean these bytes may be new ones.
      if (this.timesEmptied(followed)) {
        this.restart(followed)
        continue
      }

      for (const line of fresh.lines) lines.push(line)
      followed.position += data.length
      followed.pending = fresh.pending
      followed.anchor = anchor
      followed.shrunk = false
      return followed.position < size ? 'more' : 'done'
    }
  }

  private splitLines(followed: Followed, data: Buffer): {lines: LogLine[]; pending: Buffer} {
    const bytes = followed.pending.length > 0 ? Buffer.concat([followed.pending, data]) : data
    const base = followed.position - followed.pending.length
    const lines: LogLine[] = []
    let start = 0
    for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) {
      const offset = base + start
      lines.push({offset, text: bytes.toString('utf8', start, at), time: followed.timeAt?.(offset) ?? null})
      start = at + 1
    }

    return {lines, pending: Buffer.from(bytes.subarray(start))}
  }

  /** A file that ends inside a line (one longer than a whole file): that part is a line. */
  private endPendingLine(lines: LogLine[]): void {
    const followed = this.current!
    if (followed.pending.length === 0) return
    const offset = followed.position - followed.pending.length
    lines.push({offset, text: followed.pending.toString('utf8'), time: followed.timeAt?.(offset) ?? null})
    followed.pending = Buffer.alloc(0)
  }

  /**
   * The file written after the current one, which has moved away: found by its inode among
   * path.1 ... path.N, the next is the one a number below (path after path.1). Checked again once
   * that one is open, so a rotation meanwhile cannot slip another file in. Undefined: not known
   * yet (a rotation under way, or a new file at path that nothing was written to yet: logrotate
   * moved the log, and the supervisor writes to it until its SIGUSR2).
   */
  private successor(): OpenLogFile | undefined {
    const {file} = this.current!
    const timesExpected = file.times !== undefined
    for (let n = 1; n <= MAX_ROTATED_FILES; n++) {
      if (!sameFile(statOf(rotatedPath(this.path, n)), file)) continue
      const nextPath = n === 1 ? this.path : rotatedPath(this.path, n - 1)
      const next = openLog(nextPath, {timesExpected})
      if (!next) return undefined
      if (!sameFile(statOf(rotatedPath(this.path, n)), file) || (n === 1 && next.size === 0)) {
        next.close()
        return undefined
      }

      return next
    }

    if (!file.linked) {
      // Removed (a flush, or rotated off the end while this was behind): the oldest file left is next.
      for (let n = MAX_ROTATED_FILES; n >= 1; n--) {
        const next = openLog(rotatedPath(this.path, n), {timesExpected})
        if (next) return next
      }
    } else if (this.quickRetries < QUICK_RETRIES) {
      // Moved under another name (logrotate's), or a rotation was under way: look again first.
      return undefined
    }

    const next = openLog(this.path, {timesExpected})
    if (next && next.size > 0) return next
    next?.close()
    return undefined
  }
}
