/**
 * The log files of every app, opened once per path: the instances of an app with merge_logs (and
 * an old and a new instance during a reload) write through the same RotatingLog, so a rotation
 * is never done twice and no write goes to a file another writer has just moved away.
 * `/dev/null` (PM2's way to keep no log) keeps nothing.
 */
import {type EmptiedLog, emptyLogFile} from '../store/log-times.js'
import {RotatingLog} from './rotating-log.js'

/** What an app's output is written through. */
export interface LogSink {
  readonly droppedBytes: number
  /** A chunk of output that arrived at `now` (epoch ms). */
  write(chunk: Buffer, now: number): void
  reopen(): void
}

export interface OpenedLog {
  log: LogSink
  /** This writer is done with it; the file closes once nobody writes to it. */
  release(): void
}

export type OpenLog = (path: string, maxSize: number, keepFiles: number, report: (message: string) => void) => OpenedLog

const DISCARD: LogSink = {droppedBytes: 0, write() {}, reopen() {}}

export class LogFiles {
  private readonly open = new Map<string, {log: RotatingLog; writers: number}>()
  readonly openLog: OpenLog = (path, maxSize, keepFiles, report) => {
    if (path === '/dev/null') return {log: DISCARD, release() {}}
    let entry = this.open.get(path)
    if (!entry) {
      entry = {log: new RotatingLog(path, maxSize, keepFiles, report), writers: 0}
      this.open.set(path, entry)
    }

    entry.writers++
    const opened = entry
    let released = false
    return {
      log: opened.log,
      release: () => {
        if (released) return
        released = true
        if (--opened.writers > 0) return
        opened.log.close()
        this.open.delete(path)
      },
    }
  }

  /** Every file opened again by its name (SIGUSR2, after logrotate moved them). */
  reopenAll(): void {
    for (const {log} of this.open.values()) log.reopen()
  }

  /** Empties a log while its writers keep writing (RotatingLog.flush), or as it is when nobody writes to it. */
  flush(path: string): EmptiedLog {
    if (path === '/dev/null') return {emptied: [], removed: []}
    const entry = this.open.get(path)
    return entry ? entry.log.flush() : emptyLogFile(path)
  }
}
