/**
 * `tspm run`'s copy of app output to its own stdout and stderr, for a container's log driver:
 * each line of an app's stdout goes to stdout, each line of its stderr to stderr, after its
 * process's id (`web | `, `web:1 | ` for one of several instances). The log files get the output
 * first and untouched; this is a second reader of the same pipes.
 *
 * Only whole lines are written, one write per chunk of lines, so a line an app writes in pieces
 * is never cut by another app's. Node writes to a pipe without blocking, keeping what the reader
 * has not taken yet in memory: past MAX_QUEUED_BYTES on a stream (its reader, say a slow docker
 * log driver, has fallen that far behind), further lines are dropped and counted, and one line
 * says how many once the stream has caught up. The supervisor never waits for its stdout, and its
 * memory stays bounded. A file or a terminal takes each write at once.
 */
import type {Readable} from 'node:stream'

/** How far a reader of stdout or stderr may fall behind before app lines are dropped for it. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024
/** A line longer than this is written in pieces of this size, each one a line of its own. */
const MAX_LINE_BYTES = 64 * 1024
/** Waiting for stdout to take the last lines at exit: a reader that takes nothing must not keep the container up. */
const FLUSH_TIMEOUT_MS = 2000

/** What the tee writes to: process.stdout and process.stderr, or a test's streams. */
export interface TeeTarget {
  readonly writableLength: number
  readonly isTTY?: boolean
  write(chunk: Buffer | string): unknown
  once(event: 'drain', listener: () => void): unknown
}

const NEWLINE = 0x0a
/** Prefix colours on a terminal: one per app, picked by its name. */
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94]

class TeeStream {
  dropped = 0
  private waitingForDrain = false

  constructor(
    readonly target: TeeTarget,
    private readonly label: string,
  ) {}

  /** Writes whole lines (a Buffer that ends in a newline), unless the reader is too far behind. */
  write(lines: Buffer, count: number): void {
    if (this.target.writableLength > MAX_QUEUED_BYTES) {
      this.dropped += count
      this.reportOnDrain()
      return
    }

    this.target.write(lines)
  }

  /** tspm's own lines are never dropped: there are few, and they say what happened. */
  writeOwn(line: string): void {
    this.target.write(line)
  }

  private reportOnDrain(): void {
    if (this.waitingForDrain) return
    this.waitingForDrain = true
    this.target.once('drain', () => {
      this.waitingForDrain = false
      const count = this.dropped
      this.dropped = 0
      this.target.write(
        `[tspm] ${count} line${count === 1 ? '' : 's'} of app output ${count === 1 ? 'was' : 'were'} not copied to ${this.label}: it was not read fast enough (the log files have every line)\n`,
      )
    })
  }
}

export class OutputTee {
  private readonly out: TeeStream
  private readonly err: TeeStream
  private readonly colour: boolean

  constructor(
    stdout: TeeTarget = process.stdout,
    stderr: TeeTarget = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.out = new TeeStream(stdout, 'stdout')
    this.err = new TeeStream(stderr, 'stderr')
    this.colour = !env.NO_COLOR
  }

  /** One run's output streams: read alongside the log files until they close. */
  observe(id: string, stdout: null | Readable, stderr: null | Readable): void {
    if (stdout) this.follow(id, stdout, this.out)
    if (stderr) this.follow(id, stderr, this.err)
  }

  /** A line of tspm's own (the supervisor's messages, what the start of the config says): on stderr. */
  say(message: string): void {
    this.err.writeOwn(`[tspm] ${message}\n`)
  }

  /** Resolves once stdout and stderr have taken what was written, or after a short wait when they do not. */
  async flush(timeoutMs = FLUSH_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const pending = () => this.out.target.writableLength > 0 || this.err.target.writableLength > 0
    while (pending() && Date.now() < deadline) {
      await new Promise((resolve) => {
        setTimeout(resolve, 10)
      })
    }
  }

  private follow(id: string, source: Readable, stream: TeeStream): void {
    const prefix = Buffer.from(this.prefixFor(id, stream.target))
    let partial: Buffer | undefined
    source.on('data', (chunk: Buffer) => {
      const data = partial ? Buffer.concat([partial, chunk]) : chunk
      partial = undefined
      const parts: Buffer[] = []
      let count = 0
      let start = 0
      for (;;) {
        const newline = data.indexOf(NEWLINE, start)
        if (newline === -1) break
        parts.push(prefix, data.subarray(start, newline + 1))
        count++
        start = newline + 1
      }

      // What is left has no newline yet: kept for the next chunk, unless it is already too long.
      while (data.length - start > MAX_LINE_BYTES) {
        parts.push(prefix, data.subarray(start, start + MAX_LINE_BYTES), Buffer.from('\n'))
        count++
        start += MAX_LINE_BYTES
      }

      if (start < data.length) partial = Buffer.from(data.subarray(start))
      if (count > 0) stream.write(Buffer.concat(parts), count)
    })
    // The run ended with a line not finished: it is written as a line, so the next run starts on its own.
    source.once('close', () => {
      if (partial) stream.write(Buffer.concat([prefix, partial, Buffer.from('\n')]), 1)
      partial = undefined
    })
  }

  private prefixFor(id: string, target: TeeTarget): string {
    if (!this.colour || !target.isTTY) return `${id} | `
    const name = id.replace(/:\d+$/, '')
    let hash = 0
    for (const character of name) hash = (hash * 31 + character.codePointAt(0)!) >>> 0
    return `\u001B[${PALETTE[hash % PALETTE.length]}m${id} |\u001B[0m `
  }
}
