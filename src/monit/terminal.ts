/**
 * The terminal monit draws on, in raw ANSI: the alternate screen (what was on the terminal comes
 * back on leaving), no cursor, no line wrap, keys one at a time. Drawing rewrites only the lines
 * that changed since the last frame, which keeps a refresh over SSH to a few bytes.
 *
 * Whatever ends monit gives the terminal back as it was: leave() runs on quitting, on SIGTERM,
 * SIGHUP (the SSH connection dropped) and SIGINT through the monitor's onSignal, on an uncaught
 * exception before Node prints it (uncaughtExceptionMonitor), and on any exit.
 */
import {emitKeypressEvents} from 'node:readline'

import type {Keypress} from './keys.js'

import {colourEnabled} from '../views/format.js'

const CSI = '\u001B['
/** Alternate screen, cursor hidden, no autowrap (a line one column too wide is cut, not wrapped), cleared. */
const ENTER = `${CSI}?1049h${CSI}?25l${CSI}?7l${CSI}2J`
const LEAVE = `${CSI}0m${CSI}?7h${CSI}?25h${CSI}?1049l`

export const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const
export type TerminalSignal = (typeof SIGNALS)[number]

export interface TerminalEvents {
  onKey(character: string | undefined, key: Keypress | undefined): void
  onResize(): void
  onSignal(signal: TerminalSignal): void
}

/** Why monit cannot run on these streams, or undefined when it can. */
export function terminalProblem(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!input.isTTY || !output.isTTY) return 'monit needs a terminal; use `tspm list` or `tspm list --json` in scripts'
  if (!env.TERM || env.TERM === 'dumb') {
    return `monit needs a terminal that can move its cursor, and TERM=${env.TERM ?? ''} says this one cannot; set TERM (such as TERM=xterm), or use \`tspm list\``
  }

  return undefined
}

/** Colour when the terminal has colours (and NO_COLOR is not set); bars and arrows in a UTF-8 locale. */
export function terminalStyle(
  output: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): {colour: boolean; unicode: boolean} {
  return {
    colour: colourEnabled(output) && output.hasColors(env),
    unicode: /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || ''),
  }
}

export class Terminal {
  private active = false
  /** The lines on the screen now, as drawn last. */
  private drawn: string[] = []
  private readonly undo: Array<() => void> = []

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {}

  get size(): {columns: number; rows: number} {
    return {columns: this.output.columns || 80, rows: this.output.rows || 24}
  }

  enter(events: TerminalEvents): void {
    const on = (emitter: NodeJS.EventEmitter, event: string, listener: Parameters<NodeJS.EventEmitter['on']>[1]) => {
      emitter.on(event, listener)
      this.undo.push(() => emitter.off(event, listener))
    }

    this.active = true
    on(process, 'exit', () => this.leave())
    on(process, 'uncaughtExceptionMonitor', () => this.leave())
    for (const signal of SIGNALS) on(process, signal, () => events.onSignal(signal))
    // A terminal that went away (the SSH connection dropped): nothing more to show, SIGHUP follows.
    on(this.output, 'error', () => {})
    on(this.output, 'resize', () => {
      this.drawn = []
      this.write(`${CSI}2J`)
      events.onResize()
    })
    emitKeypressEvents(this.input)
    this.input.setRawMode(true)
    on(this.input, 'keypress', (character: string | undefined, key: Keypress | undefined) =>
      events.onKey(character, key),
    )
    this.input.resume()
    this.write(ENTER)
  }

  /** Shows `lines` (one per row, none wider than the terminal), writing only the rows that changed. */
  draw(lines: string[]): void {
    let changes = ''
    for (const [row, line] of lines.entries()) {
      // Cleared first, then written: erasing after a line as wide as the terminal would take its last column.
      if (this.drawn[row] !== line) changes += `${CSI}${row + 1};1H${CSI}2K${line}`
    }

    this.drawn = [...lines]
    if (changes !== '') this.write(changes)
  }

  /** Gives the terminal back: main screen, cursor, line wrap, cooked mode. Safe to call twice. */
  leave(): void {
    if (!this.active) return
    this.active = false
    for (const undo of this.undo.splice(0)) undo()
    try {
      this.input.setRawMode(false)
    } catch {
      // the terminal is gone
    }

    this.input.pause()
    this.write(LEAVE)
  }

  private write(text: string): void {
    try {
      // A TTY's stream writes synchronously on Linux: on exit, nothing is left unwritten.
      this.output.write(text)
    } catch {
      // the terminal is gone
    }
  }
}
