/**
 * `tspm monit`'s loop: asks the supervisor for its list once a second, reads the selected
 * process's last log lines, draws the frame, and acts on keys. Everything it does on the
 * supervisor goes through the control API, as `tspm restart` and `tspm stop` do. A supervisor
 * that stops answering does not end it: the view says so and asks again every second.
 */
import type {SupervisorClient} from '../client/supervisor-client.js'
import type {ProcessInfo} from '../model/api.js'
import type {HomePaths, LogSettings} from '../store/home.js'

import {ACTIVE_STATUSES} from '../model/active-statuses.js'
import {commandFor, type Keypress, rowsToMove} from './keys.js'
import {renderFrame} from './layout.js'
import {recentLogLines} from './log-tail.js'
import {type ConfirmedAction, MonitorState} from './state.js'
import {Terminal, terminalStyle} from './terminal.js'

const SAMPLE_MS = 1000
/** After quitting, whatever still holds the process (a request to a hung supervisor) is not waited for. */
const EXIT_GRACE_MS = 1000

type Action = 'restart' | 'start' | 'stop'

const WORDS: Record<Action, {doing: string; done: string}> = {
  restart: {doing: 'restarting', done: 'restarted'},
  start: {doing: 'starting', done: 'started'},
  stop: {doing: 'stopping', done: 'stopped'},
}

type Answer = {processes: ProcessInfo[]} | {reason: string}

/**
 * Runs until q or Ctrl-C (resolves) or a signal (which then ends the process as if never caught),
 * and leaves the terminal as it found it either way.
 */
export function runMonitor(paths: HomePaths, client: SupervisorClient): Promise<void> {
  const terminal = new Terminal()
  const style = terminalStyle()
  const state = new MonitorState(paths.home)
  /** Where each app's logs are (out_file, error_file...), from the supervisor's definitions. */
  const logSettings = new Map<string, LogSettings>()
  let timer: NodeJS.Timeout | undefined
  let finished = false

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      terminal.leave()
      // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- a request to a hung supervisor cannot be cancelled, and the user asked to leave
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref()
      if (error === undefined) resolve()
      else reject(error)
    }

    /** Any failure of monit's own (not the supervisor's) ends it, the terminal restored, and is reported. */
    const guarded =
      <Args extends unknown[]>(work: (...args: Args) => Promise<void> | void) =>
      (...args: Args) => {
        try {
          work(...args)?.catch(finish)
        } catch (error) {
          finish(error)
        }
      }

    const render = () => {
      if (finished) return
      const frame = renderFrame(state.view(Date.now()), terminal.size, style)
      state.scrollTop = frame.scrollTop
      terminal.draw(frame.lines)
    }

    const readLogs = () => {
      const info = state.selected
      state.logLines = info
        ? recentLogLines(
            paths.logsDir,
            logSettings.get(info.name) ?? {name: info.name},
            info.instance,
            terminal.size.rows,
          )
        : []
    }

    const ask = async (): Promise<Answer> => {
      try {
        const processes = await client.list()
        if (processes.some((info) => !logSettings.has(info.name))) {
          for (const {spec} of await client.saved()) logSettings.set(spec.name, spec)
          for (const {name} of processes) if (!logSettings.has(name)) logSettings.set(name, {name})
        }

        return {processes}
      } catch (error) {
        return {reason: messageOf(error)}
      }
    }

    const sample = async () => {
      const started = Date.now()
      const answer = await ask()
      if (finished) return
      if ('processes' in answer) state.recordSample(answer.processes)
      else state.recordUnreachable(answer.reason)
      readLogs()
      render()
      timer = setTimeout(guarded(sample), Math.max(0, SAMPLE_MS - (Date.now() - started)))
    }

    /** Right after an action: the rows at once, without a point of history between two seconds. */
    const refresh = async () => {
      const answer = await ask()
      if (finished) return
      if ('processes' in answer) state.update(answer.processes)
      readLogs()
      render()
    }

    const act = async (action: Action, id: string) => {
      const words = WORDS[action]
      state.say(`${words.doing} ${id}...`, 'progress', Date.now())
      render()
      try {
        // The control API starts a stopped process by restarting it, as `tspm restart` does.
        const names = await client.act(action === 'start' ? 'restart' : action, id)
        state.say(`${words.done} ${names.join(', ')}`, 'success', Date.now())
      } catch (error) {
        state.say(`could not ${action} ${id}: ${messageOf(error)}`, 'error', Date.now())
      }

      await refresh()
    }

    const confirm = (action: ConfirmedAction) => {
      const info = state.selected
      if (!info) return
      state.confirming = {action, id: info.id}
      state.say(
        `${action} ${info.id}? press y to ${action} it, any other key to keep it as it is`,
        'question',
        Date.now(),
      )
    }

    const start = () => {
      const info = state.selected
      if (info && ACTIVE_STATUSES.has(info.status))
        state.say(`${info.id} is ${info.status}; r restarts it`, 'info', Date.now())
      else if (info) guarded(act)('start', info.id)
    }

    const onKey = (character: string | undefined, key: Keypress | undefined) => {
      const command = commandFor(character, key)
      const now = Date.now()
      const pending = state.confirming
      if (pending) {
        state.confirming = undefined
        if (command === 'yes') guarded(act)(pending.action, pending.id)
        else if (command === 'quit' && key?.ctrl) finish()
        else state.say(`${pending.id}: not ${WORDS[pending.action].done}`, 'info', now)
        render()
        return
      }

      if (command === 'quit') {
        finish()
        return
      }

      const before = state.selected?.id
      const rows = rowsToMove(command, Math.max(1, Math.floor(terminal.size.rows / 2)))
      if (rows !== undefined) state.move(rows)
      else if (command === 'restart' || command === 'stop') confirm(command)
      else if (command === 'start') start()
      if (state.selected?.id !== before) readLogs()
      render()
    }

    terminal.enter({
      onKey: guarded(onKey),
      onResize: guarded(render),
      onSignal(signal) {
        finish()
        // The terminal is back and monit's handlers are gone: the signal again ends the process as
        // if it had never been caught (the shell sees 128 + its number).
        process.kill(process.pid, signal)
      },
    })
    render()
    guarded(sample)()
  })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
