/**
 * What monit knows between two frames: the supervisor's last answer, a minute of cpu and memory
 * samples per process (the supervisor keeps no history; monit samples once a second), which row is
 * selected, and the one-line notice under the logs. No I/O: the monitor feeds it, the layout reads it.
 */
import type {ProcessInfo} from '../model/api.js'
import type {LogLine} from './log-tail.js'

/** Samples kept per process: a minute at one a second. */
export const HISTORY_SPAN = 60
/** How long the result of an action stays on screen. */
const NOTICE_MS = 8000

export interface History {
  /** Percent of one core, oldest first; null where it did not run (or nobody answered). */
  cpu: Array<null | number>
  /** Resident bytes, likewise. */
  memory: Array<null | number>
}

/** `progress` and `question` stay until replaced; the others fade after NOTICE_MS. */
export type Tone = 'error' | 'info' | 'progress' | 'question' | 'success'

export interface Notice {
  text: string
  tone: Tone
}

/** An action that asks first (a stray key must not take a service down). */
export type ConfirmedAction = 'restart' | 'stop'

/** A frame's worth of state, as the layout reads it. */
export interface MonitorView {
  home: string
  /** Whether the supervisor has answered once: before that there is nothing to show. */
  loaded: boolean
  processes: readonly ProcessInfo[]
  history: ReadonlyMap<string, History>
  /** The index of the selected row; -1 with no processes. */
  selected: number
  /** The first row shown when there are more than fit. */
  scrollTop: number
  logLines: readonly LogLine[]
  /** Why the supervisor does not answer, while it does not. */
  unreachable: string | undefined
  notice: Notice | undefined
  now: number
}

export class MonitorState {
  processes: ProcessInfo[] = []
  readonly history = new Map<string, History>()
  logLines: LogLine[] = []
  scrollTop = 0
  unreachable: string | undefined
  /** The action waiting for its `y`. */
  confirming: undefined | {action: ConfirmedAction; id: string}
  private loaded = false
  /** Selected by id, so the selection stays on its process when rows come and go. */
  private selectedId: string | undefined
  /** Where the selection was, for when its process leaves the list. */
  private selectedAt = 0
  private notice: (Notice & {at: number}) | undefined

  constructor(readonly home: string) {}

  /** The sample of this second: the rows, and a point of history for each. */
  recordSample(processes: ProcessInfo[]): void {
    this.update(processes)
    for (const info of processes) {
      const history = this.history.get(info.id) ?? {cpu: [], memory: []}
      const running = info.pid !== null
      push(history.cpu, running ? info.cpu : null)
      push(history.memory, running ? info.memory : null)
      this.history.set(info.id, history)
    }

    const ids = new Set(processes.map((info) => info.id))
    for (const id of this.history.keys()) if (!ids.has(id)) this.history.delete(id)
  }

  /** An answer between two samples (right after an action): the rows only. */
  update(processes: ProcessInfo[]): void {
    this.processes = processes
    this.loaded = true
    this.unreachable = undefined
    const index = this.selectedIndex
    if (index === -1) {
      // Its process left: the row now in its place (or the last one).
      this.select(Math.max(0, Math.min(this.selectedAt, processes.length - 1)))
    } else {
      this.selectedAt = index
    }
  }

  /** A second without an answer: the last rows stay, with a gap in every history. */
  recordUnreachable(reason: string): void {
    this.unreachable = reason
    for (const history of this.history.values()) {
      push(history.cpu, null)
      push(history.memory, null)
    }
  }

  get selected(): ProcessInfo | undefined {
    return this.processes.find((info) => info.id === this.selectedId)
  }

  get selectedIndex(): number {
    return this.processes.findIndex((info) => info.id === this.selectedId)
  }

  /** Moves the selection by `rows` (negative: up), stopping at the first and last row. */
  move(rows: number): void {
    if (this.processes.length === 0) return
    this.select(Math.min(Math.max(this.selectedIndex + rows, 0), this.processes.length - 1))
  }

  say(text: string, tone: Tone, now: number): void {
    this.notice = {text, tone, at: now}
  }

  view(now: number): MonitorView {
    const {notice} = this
    const fresh = notice && (notice.tone === 'progress' || notice.tone === 'question' || now - notice.at < NOTICE_MS)
    return {
      home: this.home,
      loaded: this.loaded,
      processes: this.processes,
      history: this.history,
      selected: this.selectedIndex,
      scrollTop: this.scrollTop,
      logLines: this.logLines,
      unreachable: this.unreachable,
      notice: fresh ? {text: notice.text, tone: notice.tone} : undefined,
      now,
    }
  }

  private select(index: number): void {
    this.selectedId = this.processes[index]?.id
    this.selectedAt = index
  }
}

function push(samples: Array<null | number>, value: null | number): void {
  samples.push(value)
  if (samples.length > HISTORY_SPAN) samples.splice(0, samples.length - HISTORY_SPAN)
}
