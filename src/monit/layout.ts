/**
 * One frame of monit: the state laid out on a terminal of a given size, as exactly `rows` lines of
 * at most `columns` columns each (a longer line would wrap and push the whole view down):
 *
 *   title          tspm monit, the home, how many processes, the time
 *   header         the column names
 *   process rows   as many as fit (scrolling to keep the selected one in view)
 *   rule           the selected process: pid, why it is in its status, health, last error
 *   log lines      the selected process's last lines
 *   notice         the result of the last action, a question, or that the supervisor is gone
 *   help           the keys
 *
 * Pure: the tests render a fixed state and read the lines.
 */
import {stripVTControlCharacters} from 'node:util'

import type {ProcessInfo} from '../model/api.js'

import {type Colour, formatBytes, formatDuration, paint} from '../views/format.js'
import {STATUS_COLOURS} from '../views/process-table.js'
import {keyHelp} from './keys.js'
import {sparkline} from './sparkline.js'
import {HISTORY_SPAN, type MonitorView, type Tone} from './state.js'
import {displayWidth, fit, plainLogLine, truncate} from './text.js'

export interface FrameSize {
  columns: number
  rows: number
}

export interface FrameStyle {
  /** SGR colours (and the selected row in inverse video). */
  colour: boolean
  /** The locale is UTF-8: bars, arrows and rules; otherwise ASCII. */
  unicode: boolean
}

export interface Frame {
  lines: string[]
  /** The first process row shown, moved so that the selected one is in view. */
  scrollTop: number
}

/** Below this the view cannot say anything useful. */
export const MIN_SIZE: FrameSize = {columns: 40, rows: 8}

/** Title, header, rule, notice, help: the lines around the rows and the logs. */
const CHROME_ROWS = 5
const MARKER_WIDTH = 2
/** `waiting-restart`, the longest status. */
const STATUS_WIDTH = 15
/** The others: `starting`, `stopping`. */
const STATUS_MIN_WIDTH = 8
const CPU_WIDTH = 6
const MEMORY_WIDTH = 7
const RESTARTS_WIDTH = 8
const UPTIME_WIDTH = 6
/** A longer name is cut (keeping its `:N`). */
const NAME_WIDTH = {min: 8, max: 24}
const SPARK_WIDTH = {min: 5, max: HISTORY_SPAN}
/** Columns taken by everything but the name and the two sparklines (five gaps included). */
const FIXED_WIDTH = MARKER_WIDTH + STATUS_WIDTH + CPU_WIDTH + MEMORY_WIDTH + RESTARTS_WIDTH + UPTIME_WIDTH + 5
/** A cpu chart's full bar is at least this (percent of a core), so an idle process's noise stays low. */
const CPU_CEILING_FLOOR = 10

const TONE_COLOURS: Record<Tone, Colour | undefined> = {
  error: 'red',
  info: undefined,
  progress: 'cyan',
  question: 'yellow',
  success: 'green',
}

interface Glyphs {
  ellipsis: string
  rule: string
}

/** A piece of a line: its text (already cut to its width) and colour. */
interface Cell {
  text: string
  colour?: Colour
}

interface Widths {
  name: number
  status: number
  /** 0: no room for sparklines. */
  spark: number
}

/** What every line of one frame is drawn with. */
interface Page {
  view: MonitorView
  columns: number
  style: FrameStyle
  glyphs: Glyphs
  widths: Widths
  /** The process rows shown: the first one, and how many. */
  top: number
  tableRows: number
}

export function renderFrame(view: MonitorView, size: FrameSize, style: FrameStyle): Frame {
  const {columns, rows} = size
  const glyphs: Glyphs = style.unicode ? {ellipsis: '…', rule: '─'} : {ellipsis: '~', rule: '-'}
  if (columns < MIN_SIZE.columns || rows < MIN_SIZE.rows) {
    const message = `monit needs ${MIN_SIZE.columns}x${MIN_SIZE.rows} or more; q quits`
    return {
      lines: [truncate(message, columns, glyphs.ellipsis), ...Array.from({length: Math.max(0, rows - 1)}, () => '')],
      scrollTop: view.scrollTop,
    }
  }

  const body = rows - CHROME_ROWS
  const logRowsAtLeast = Math.max(1, Math.floor(body / 3))
  const tableRows = Math.min(Math.max(view.processes.length, 1), body - logRowsAtLeast)
  const page: Page = {
    view,
    columns,
    style,
    glyphs,
    widths: tableWidths(columns, view.processes),
    top: scrolledTo(view, tableRows),
    tableRows,
  }
  const lines = [
    titleLine(page),
    headerLine(page),
    ...tableLines(page),
    ruleLine(page),
    ...logLines(page, body - tableRows),
    noticeLine(page),
    line(page, {text: keyHelp(style.unicode, columns), colour: 'dim'}),
  ]
  return {lines: lines.map((text) => withinWidth(text, columns, glyphs)), scrollTop: page.top}
}

/** The first row to show: the one before, moved as little as keeps the selected row in view. */
function scrolledTo(view: MonitorView, tableRows: number): number {
  const last = Math.max(0, view.processes.length - tableRows)
  let top = Math.min(view.scrollTop, last)
  if (view.selected !== -1) top = Math.min(Math.max(top, view.selected - tableRows + 1), view.selected)
  return Math.max(0, top)
}

function tableWidths(columns: number, processes: readonly ProcessInfo[]): Widths {
  const longest = Math.max(NAME_WIDTH.min, Math.min(NAME_WIDTH.max, ...processes.map((info) => displayWidth(info.id))))
  // What is left for the name and the two sparklines with their gaps; a long name is cut first.
  const room = columns - FIXED_WIDTH
  const name = Math.max(NAME_WIDTH.min, Math.min(longest, room - 2 * (SPARK_WIDTH.min + 1)))
  const spark = Math.min(Math.floor((room - name - 2) / 2), SPARK_WIDTH.max)
  if (spark >= SPARK_WIDTH.min) return {name, status: STATUS_WIDTH, spark}
  // No room for sparklines: then the status column narrows (`waiting-restart` is cut), the name stays whole.
  const status = columns - (FIXED_WIDTH - STATUS_WIDTH) - longest
  return {name: longest, status: Math.max(STATUS_MIN_WIDTH, Math.min(status, STATUS_WIDTH)), spark: 0}
}

function titleLine({view, top, tableRows, columns, style, glyphs}: Page): string {
  const count = view.processes.length
  const shown =
    count > tableRows
      ? `${top + 1}-${top + tableRows} of ${count} processes`
      : `${count} ${count === 1 ? 'process' : 'processes'}`
  const right: Cell = view.unreachable
    ? {text: 'supervisor not answering', colour: 'red'}
    : {text: view.loaded ? `${shown}  ${clock(view.now)}` : clock(view.now)}
  const left = truncate(`tspm monit  ${view.home}`, columns - displayWidth(right.text) - 2, glyphs.ellipsis)
  const gap = ' '.repeat(Math.max(1, columns - displayWidth(left) - displayWidth(right.text)))
  return joinCells([{text: left + gap}, right], style)
}

function headerLine(page: Page): string {
  const {widths, glyphs} = page
  const sparkHeader = widths.spark >= 11 ? 'last minute' : 'last 60s'
  const cells = [
    fit('', MARKER_WIDTH, glyphs.ellipsis) + fit('name', widths.name, glyphs.ellipsis),
    fit('status', widths.status, glyphs.ellipsis),
    fit('cpu', CPU_WIDTH, glyphs.ellipsis, 'right'),
    ...(widths.spark > 0 ? [fit(sparkHeader, widths.spark, glyphs.ellipsis)] : []),
    fit('memory', MEMORY_WIDTH, glyphs.ellipsis, 'right'),
    ...(widths.spark > 0 ? [fit(sparkHeader, widths.spark, glyphs.ellipsis)] : []),
    fit('restarts', RESTARTS_WIDTH, glyphs.ellipsis, 'right'),
    fit('uptime', UPTIME_WIDTH, glyphs.ellipsis, 'right'),
  ]
  return line(page, {text: cells.join(' '), colour: 'dim'})
}

function tableLines(page: Page): string[] {
  const {view, top, tableRows} = page
  if (view.processes.length === 0) {
    const text = view.loaded ? '  no processes; start some with `tspm start`' : '  asking the supervisor...'
    return [line(page, {text, colour: 'dim'})]
  }

  return view.processes
    .slice(top, top + tableRows)
    .map((info, offset) => processLine(page, info, top + offset === view.selected))
}

function processLine({view, widths, style, glyphs}: Page, info: ProcessInfo, selected: boolean): string {
  const running = info.pid !== null
  const history = view.history.get(info.id) ?? {cpu: [], memory: []}
  const chart = (samples: Array<null | number>, floor: number): Cell => ({
    text: sparkline(samples, {
      width: widths.spark,
      span: HISTORY_SPAN,
      ceiling: Math.max(floor, ...samples.filter((value) => value !== null)),
      unicode: style.unicode,
    }),
    colour: 'cyan',
  })
  const cpu = info.cpu >= 100 ? `${Math.round(info.cpu)}%` : `${info.cpu.toFixed(1)}%`
  const uptime = info.status === 'online' ? formatDuration(info.uptime_ms) : '-'
  const cells: Cell[] = [
    {
      text:
        (selected ? '> ' : '  ') + fit(shortId(info.id, widths.name, glyphs.ellipsis), widths.name, glyphs.ellipsis),
    },
    {text: fit(info.status, widths.status, glyphs.ellipsis), colour: STATUS_COLOURS[info.status]},
    {text: fit(running ? cpu : '-', CPU_WIDTH, glyphs.ellipsis, 'right')},
    ...(widths.spark > 0 ? [chart(history.cpu, CPU_CEILING_FLOOR)] : []),
    {text: fit(running ? formatBytes(info.memory) : '-', MEMORY_WIDTH, glyphs.ellipsis, 'right')},
    ...(widths.spark > 0 ? [chart(history.memory, 0)] : []),
    {text: fit(String(info.restarts), RESTARTS_WIDTH, glyphs.ellipsis, 'right')},
    {text: fit(uptime, UPTIME_WIDTH, glyphs.ellipsis, 'right')},
  ]
  const spaced = cells.flatMap((cell, index) => (index === 0 ? [cell] : [{text: ' '}, cell]))
  // In one colour, whole: the selected row in inverse video (a cell's colour would end the inverse
  // where it ends), and every row dim while the supervisor does not answer (they are what it said last).
  const whole = selected ? 'inverse' : view.unreachable ? 'dim' : undefined
  return whole
    ? joinCells([{text: spaced.map((cell) => cell.text).join(''), colour: whole}], style)
    : joinCells(spaced, style)
}

/** `web:2` cut as `long-na…:2`: the instance number is what tells two rows apart. */
function shortId(id: string, width: number, ellipsis: string): string {
  if (displayWidth(id) <= width) return id
  const instance = /:\d+$/.exec(id)?.[0]
  if (instance && instance.length + 2 <= width)
    return truncate(id.slice(0, -instance.length), width - instance.length, ellipsis) + instance
  return truncate(id, width, ellipsis)
}

/** The rule over the logs, naming the selected process with what its row has no room for. */
function ruleLine(page: Page): string {
  const {view, columns, glyphs} = page
  const info = view.processes[view.selected]
  const facts = info
    ? [
        info.id,
        info.pid === null ? 'not running' : `pid ${info.pid}`,
        info.status_detail,
        info.health &&
          (info.health.ok ? 'health ok' : `health failing (${info.health.failures} in a row): ${info.health.message}`),
        info.restarts > 0 && info.last_restart_reason && `last restart: ${info.last_restart_reason}`,
        info.last_error && `last error: ${info.last_error}`,
      ].filter((fact): fact is string => typeof fact === 'string' && fact !== '')
    : []
  const lead = glyphs.rule.repeat(2)
  const text = facts.length > 0 ? truncate(`${lead} ${facts.join('  ')} `, columns, glyphs.ellipsis) : lead
  return line(page, {text: text + glyphs.rule.repeat(Math.max(0, columns - displayWidth(text))), colour: 'dim'})
}

/** The selected process's last lines, `count` rows (blank ones below when it wrote fewer). */
function logLines(page: Page, count: number): string[] {
  const {view, columns, style, glyphs} = page
  const selected = view.selected !== -1
  const shown = (selected ? view.logLines : []).slice(-count).map((log) => {
    const tag: Cell =
      log.stream === 'both' ? {text: ''} : {text: `${log.stream} | `, colour: log.stream === 'err' ? 'red' : 'dim'}
    const text = truncate(plainLogLine(log.text), columns - displayWidth(tag.text), glyphs.ellipsis)
    return joinCells([tag, {text}], style)
  })
  if (shown.length === 0 && selected) shown.push(line(page, {text: '  (nothing in its logs yet)', colour: 'dim'}))
  return [...shown, ...Array.from({length: count - shown.length}, () => '')]
}

/** A question first (it waits for a key), then a supervisor that does not answer, then the last result. */
function noticeLine(page: Page): string {
  const {view} = page
  const notice =
    view.notice?.tone === 'question' || !view.unreachable
      ? view.notice
      : {text: `asking again every second: ${view.unreachable}`, tone: 'error' as const}
  return notice ? line(page, {text: notice.text, colour: TONE_COLOURS[notice.tone]}) : ''
}

/** A line of one cell, cut to the width. */
function line({columns, style, glyphs}: Page, cell: Cell): string {
  return joinCells([{text: truncate(cell.text, columns, glyphs.ellipsis), colour: cell.colour}], style)
}

function joinCells(cells: Cell[], style: FrameStyle): string {
  return cells.map((cell) => (cell.text === '' ? '' : paint(cell.text, cell.colour, style.colour))).join('')
}

/** The last guard: a line that would still be too wide loses its colours and is cut. */
function withinWidth(text: string, columns: number, glyphs: Glyphs): string {
  const plain = stripVTControlCharacters(text)
  return displayWidth(plain) <= columns ? text : truncate(plain, columns, glyphs.ellipsis)
}

function clock(now: number): string {
  const time = new Date(now)
  return [time.getHours(), time.getMinutes(), time.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':')
}
