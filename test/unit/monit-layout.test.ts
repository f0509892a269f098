import assert from 'node:assert/strict'
import {test} from 'node:test'
import {stripVTControlCharacters} from 'node:util'

import type {ProcessInfo} from '../../src/model/api.js'

import {type FrameSize, type FrameStyle, renderFrame} from '../../src/monit/layout.js'
import {HISTORY_SPAN, type MonitorView} from '../../src/monit/state.js'
import {displayWidth} from '../../src/monit/text.js'

function processInfo(id: string, fields: Partial<ProcessInfo> = {}): ProcessInfo {
  const [name, instance = '0'] = id.split(':')
  return {
    name: name!,
    instance: Number(instance),
    id,
    number: 0,
    status: 'online',
    desired: 'online',
    pid: 4242,
    proc_start_time: 1,
    restarts: 0,
    started_at: 0,
    last_exit: null,
    last_error: null,
    log_bytes_dropped: 0,
    status_detail: null,
    ready: null,
    health: null,
    last_restart_reason: null,
    start: {attempt: 1, outcome: 'ready', message: null},
    uptime_ms: 3_725_000,
    cpu: 1.5,
    memory: 45 * 1024 * 1024,
    script: 'server.js',
    args: [],
    cwd: '/srv',
    triggers: null,
    ...fields,
  }
}

const PROCESSES = [
  processInfo('web:0', {cpu: 12.5}),
  processInfo('web:1', {restarts: 3, last_restart_reason: 'crash', last_error: 'exited with code 1'}),
  processInfo('worker', {status: 'waiting-restart', pid: null, restarts: 17}),
  processInfo('batch', {status: 'stopped', pid: null, desired: 'stopped'}),
]

function view(fields: Partial<MonitorView> = {}): MonitorView {
  const processes = fields.processes ?? PROCESSES
  const history = new Map(
    processes.map((info, index) => [
      info.id,
      {
        cpu: Array.from({length: HISTORY_SPAN}, (_, second) => (second * (index + 1)) % 100),
        memory: Array.from({length: HISTORY_SPAN}, (_, second) => (40 + second) * 1024 * 1024),
      },
    ]),
  )
  return {
    home: '/home/deploy/.tspm',
    loaded: true,
    processes,
    history,
    selected: 1,
    scrollTop: 0,
    logLines: [
      {stream: 'out', text: 'GET /healthz 200 1ms'},
      {stream: 'err', text: '\u001B[31mError:\u001B[0m connection refused\tretrying'},
      {stream: 'out', text: `${'很长的日志'.repeat(20)} wide characters take two columns`},
      {stream: 'out', text: 'progress 10%\rprogress 100%'},
    ],
    unreachable: undefined,
    notice: {text: 'restarted web:1', tone: 'success'},
    now: Date.UTC(2025, 0, 1, 12, 0, 0),
    ...fields,
  }
}

const ESC = '\u001B'

const STYLES: FrameStyle[] = [
  {colour: true, unicode: true},
  {colour: false, unicode: true},
  {colour: true, unicode: false},
  {colour: false, unicode: false},
]

function plainLines(lines: string[]): string[] {
  return lines.map((line) => stripVTControlCharacters(line))
}

function assertFits(lines: string[], size: FrameSize, what: string): void {
  assert.equal(lines.length, size.rows, `${what}: one line per row`)
  for (const [row, line] of plainLines(lines).entries())
    assert.ok(displayWidth(line) <= size.columns, `${what}: row ${row} is ${displayWidth(line)} columns: ${line}`)
}

test('an 80x24 frame: 24 lines, none wider than 80 columns, whatever the colours and the locale', () => {
  for (const style of STYLES) {
    const {lines} = renderFrame(view(), {columns: 80, rows: 24}, style)
    assertFits(lines, {columns: 80, rows: 24}, JSON.stringify(style))
    // The only escape sequences are the frame's own colours; the app's red went with its text.
    if (!style.colour)
      assert.ok(
        lines.every((line) => !line.includes(ESC)),
        'no escape sequence without colour',
      )
  }
})

test('the 80x24 frame shows every process with its status, cpu, memory, sparklines, restarts and uptime', () => {
  const lines = plainLines(renderFrame(view(), {columns: 80, rows: 24}, {colour: false, unicode: true}).lines)
  assert.match(lines[0]!, /^tspm monit {2}\/home\/deploy\/\.tspm +4 processes {2}\d\d:\d\d:\d\d$/)
  assert.match(lines[1]!, /name +status +cpu .*memory .*restarts uptime/)
  const rows = lines.slice(2, 6)
  assert.match(rows[0]!, /^ {2}web:0 +online +12\.5% [▁▂▃▄▅▆▇█ ]+ +45 MB [▁▂▃▄▅▆▇█]+ +0 +1h$/)
  assert.match(rows[1]!, /^> web:1 +online +1\.5% .* +3 +1h$/, 'the selected row is marked')
  // Not running: no cpu, memory or uptime; the longest status whole.
  assert.match(rows[2]!, /^ {2}worker +waiting-restart +- .* +- .* +17 +-$/)
  assert.match(rows[3]!, /^ {2}batch +stopped +- .* +0 +-$/)
  // The selected process's facts, then its logs, made plain.
  assert.match(lines[6]!, /^── web:1 {2}pid 4242 {2}last restart: crash {2}last error: exited with code 1 ─+$/)
  assert.equal(lines[7], 'out | GET /healthz 200 1ms')
  // The tab stops every 8 columns of the line.
  assert.equal(lines[8], 'err | Error: connection refused       retrying')
  assert.match(lines[9]!, /^out | 很长的日志很长的日志.*…$/)
  assert.equal(lines[10], 'out | progress 100%')
  assert.equal(lines[22], 'restarted web:1')
  assert.equal(lines[23], '↑↓ j/k move  r restart  s stop  S start  q quit')
})

test('in colour, the selected row is one inverse-video run and statuses have their colours', () => {
  const {lines} = renderFrame(view(), {columns: 80, rows: 24}, {colour: true, unicode: true})
  const selected = lines[3]!
  assert.ok(selected.startsWith(`${ESC}[7m> web:1 `) && selected.endsWith(`${ESC}[0m`), selected)
  assert.equal(selected.split(ESC).length, 3, 'one inverse run, no colour inside it')
  assert.ok(lines[2]!.includes(`${ESC}[32monline`), 'online in green')
  assert.ok(lines[4]!.includes(`${ESC}[33mwaiting-restart`), 'waiting-restart in yellow')
})

test('more processes than rows: the rows scroll to keep the selected one in view, and the title says which are shown', () => {
  const many = Array.from({length: 30}, (_, index) => processInfo(`app-${index}`))
  const size = {columns: 80, rows: 24}
  const top = renderFrame(view({processes: many, selected: 0}), size, {colour: false, unicode: true})
  assertFits(top.lines, size, 'top')
  assert.equal(top.scrollTop, 0)
  const tableRows = plainLines(top.lines).filter((line) => /^[ >] app-\d+ /.test(line)).length
  assert.ok(tableRows >= 10 && tableRows < 30, `${tableRows} rows of processes, and room for logs`)
  assert.match(plainLines(top.lines)[0]!, new RegExp(`1-${tableRows} of 30 processes`))

  const down = renderFrame(view({processes: many, selected: 25}), size, {colour: false, unicode: true})
  assert.equal(down.scrollTop, 25 - tableRows + 1, 'scrolled just enough')
  const shown = plainLines(down.lines)
  assert.ok(
    shown.some((line) => line.startsWith('> app-25 ')),
    'the selected row is shown',
  )
  assert.ok(!shown.some((line) => line.startsWith('  app-0 ')), 'the first rows scrolled away')
  assert.match(shown[0]!, new RegExp(`${down.scrollTop + 1}-26 of 30 processes`))

  // Moving back up within the rows shown does not scroll.
  const back = renderFrame(view({processes: many, selected: 20, scrollTop: down.scrollTop}), size, {
    colour: false,
    unicode: true,
  })
  assert.equal(back.scrollTop, down.scrollTop)
})

test('a long name is cut, keeping its instance number; other sizes fit too', () => {
  const long = [processInfo('a-very-long-application-name:12'), processInfo('a-very-long-application-name:13')]
  const lines = plainLines(
    renderFrame(view({processes: long, selected: 0}), {columns: 80, rows: 24}, {colour: false, unicode: true}).lines,
  )
  assert.match(lines[2]!, /^> a-very-long-app…:12 /)
  assert.match(lines[3]!, /^ {2}a-very-long-app…:13 /)
  for (const size of [
    {columns: 40, rows: 8},
    {columns: 60, rows: 15},
    {columns: 120, rows: 40},
    {columns: 250, rows: 60},
  ]) {
    for (const style of STYLES) {
      const frame = renderFrame(view({processes: [...PROCESSES, ...long]}), size, style)
      assertFits(frame.lines, size, `${size.columns}x${size.rows} ${JSON.stringify(style)}`)
      assert.match(stripVTControlCharacters(frame.lines.at(-1)!), /q quit/, 'the key to quit is always shown')
    }
  }
})

test('a terminal too small for the view says so, and how to leave', () => {
  const {lines} = renderFrame(view(), {columns: 39, rows: 6}, {colour: false, unicode: true})
  assertFits(lines, {columns: 39, rows: 6}, 'small')
  assert.match(lines[0]!, /^monit needs 40x8 or more; q quits$/)
})

test('while the supervisor does not answer, the view says so and keeps its last rows, dimmed', () => {
  const reason = 'no supervisor is running for TSPM_HOME=/home/deploy/.tspm'
  const {lines} = renderFrame(
    view({unreachable: reason, notice: undefined}),
    {columns: 80, rows: 24},
    {
      colour: true,
      unicode: true,
    },
  )
  const plain = plainLines(lines)
  assert.match(plain[0]!, /supervisor not answering$/)
  assert.match(plain[22]!, /^asking again every second: no supervisor is running/)
  assert.ok(lines[2]!.startsWith(`${ESC}[2m  web:0`), 'the rows are what it said last')
})

test('before the first answer and with no processes, the rows say so', () => {
  const style = {colour: false, unicode: true}
  const size = {columns: 80, rows: 24}
  const waiting = plainLines(renderFrame(view({loaded: false, processes: [], selected: -1}), size, style).lines)
  assert.equal(waiting[2], '  asking the supervisor...')
  const empty = plainLines(renderFrame(view({processes: [], selected: -1, logLines: []}), size, style).lines)
  assert.equal(empty[2], '  no processes; start some with `tspm start`')
  assert.match(empty[0]!, /0 processes/)
})

test('a question waits above everything else on the notice line', () => {
  const lines = plainLines(
    renderFrame(
      view({unreachable: 'gone', notice: {text: 'stop web:1? press y to stop it', tone: 'question'}}),
      {columns: 80, rows: 24},
      {colour: false, unicode: true},
    ).lines,
  )
  assert.equal(lines[22], 'stop web:1? press y to stop it')
})
