/**
 * One attempt of a readiness or health check, run by the supervisor without blocking it: a TCP
 * connect, an HTTP request (node:http is loaded only when an http check is configured), or a
 * program run with an argv (never a shell) that must exit 0.
 */
import {spawn} from 'node:child_process'
import {connect} from 'node:net'

import type {ReadyCheck} from '../model/process-spec.js'

export interface CheckResult {
  ok: boolean
  /** What was seen: "accepted", "HTTP 503", "exit code 2", "ECONNREFUSED"... */
  message: string
  /** No answer came within the attempt's time: the message says so and no more. */
  timedOut?: true
}

/** The checks that probe something from outside the app. */
export type ProbeCheck = Extract<ReadyCheck, {kind: 'exec' | 'http' | 'tcp'}>

/** How a check reads in messages: `tcp 127.0.0.1:5432`, `http http://...`, `exec pg_isready -q`. */
export function describeCheck(check: Record<string, unknown> & {kind: string}): string {
  switch (check.kind) {
    case 'exec': {
      return `exec ${(check.argv as string[]).join(' ')}`
    }

    case 'http': {
      return `http ${check.url}`
    }

    case 'log': {
      return `log /${check.pattern}/`
    }

    case 'tcp': {
      return `tcp ${String(check.host).includes(':') ? `[${check.host}]` : check.host}:${check.port}`
    }

    default: {
      return "notify (process.send('ready'))"
    }
  }
}

export interface ProbeContext {
  /** Where an exec check runs, with the app's environment. */
  cwd: string
  env: NodeJS.ProcessEnv
}

/** One probe within timeoutMs; an aborted `stop` ends it at once (an exec check's program is killed). */
export function probe(
  check: ProbeCheck,
  context: ProbeContext,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<CheckResult> {
  switch (check.kind) {
    case 'http': {
      return probeHttp(check.url, timeoutMs, stop)
    }

    case 'tcp': {
      return probeTcp(check.host, check.port, timeoutMs, stop)
    }

    default: {
      return probeExec(check.argv, context, timeoutMs, stop)
    }
  }
}

/**
 * The first of an attempt's result, its deadline and `stop`. `attempt` starts the work, reports
 * through `done` (only the first report counts) and returns how to abandon it when the deadline
 * or the stop comes.
 */
function firstWithin(
  timeoutMs: number,
  lateMessage: string,
  stop: AbortSignal | undefined,
  attempt: (done: (result: CheckResult) => void) => () => void,
): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false
    const done = (result: CheckResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stop?.removeEventListener('abort', stopped)
      resolve(result)
    }

    const giveUp = (result: CheckResult) => {
      abandon()
      done(result)
    }

    const stopped = () => giveUp({ok: false, message: 'stopped'})
    const timer = setTimeout(() => giveUp({ok: false, message: lateMessage, timedOut: true}), timeoutMs)
    const abandon = attempt(done)
    if (stop?.aborted) stopped()
    else stop?.addEventListener('abort', stopped)
  })
}

function probeTcp(host: string, port: number, timeoutMs: number, stop?: AbortSignal): Promise<CheckResult> {
  return firstWithin(timeoutMs, `no answer within ${timeoutMs} ms`, stop, (done) => {
    const socket = connect({host, port})
    socket.once('connect', () => {
      socket.destroy()
      done({ok: true, message: 'accepted'})
    })
    socket.once('error', (error: NodeJS.ErrnoException) => done({ok: false, message: error.code ?? error.message}))
    return () => socket.destroy()
  })
}

async function probeHttp(url: string, timeoutMs: number, stop?: AbortSignal): Promise<CheckResult> {
  const {request} = url.startsWith('https:') ? await import('node:https') : await import('node:http')
  return firstWithin(timeoutMs, `no answer within ${timeoutMs} ms`, stop, (done) => {
    const outgoing = request(url, {method: 'GET', headers: {'user-agent': 'tspm-check'}}, (response) => {
      const status = response.statusCode ?? 0
      response.resume()
      done({ok: status >= 200 && status < 400, message: `HTTP ${status}`})
    })
    outgoing.once('error', (error: NodeJS.ErrnoException) => done({ok: false, message: error.code ?? error.message}))
    outgoing.end()
    return () => outgoing.destroy()
  })
}

function probeExec(argv: string[], context: ProbeContext, timeoutMs: number, stop?: AbortSignal): Promise<CheckResult> {
  return firstWithin(timeoutMs, `did not finish within ${timeoutMs} ms`, stop, (done) => {
    const child = spawn(argv[0]!, argv.slice(1), {cwd: context.cwd, env: context.env, stdio: 'ignore'})
    child.once('error', (error: NodeJS.ErrnoException) =>
      done({ok: false, message: `cannot run ${argv[0]}: ${error.code ?? error.message}`}),
    )
    child.once('exit', (code, signal) =>
      done({ok: code === 0, message: signal ? `killed by ${signal}` : `exit code ${code}`}),
    )
    return () => child.kill('SIGKILL')
  })
}
