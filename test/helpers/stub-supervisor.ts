import {chmodSync, mkdtempSync, rmSync} from 'node:fs'
import {type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {HealthResponse, ProcessInfo, SavedProcess} from '../../src/model/api.js'

import {completeSpec} from '../../src/model/process-spec.js'
import {homePaths, type HomePaths} from '../../src/store/home.js'
import {createJsonServer, type JsonResponse} from '../../src/supervisor/json-http-server.js'
import {exitedPid} from './procfs.js'
import {close, listen} from './unix-http.js'

/** One request the stub answered. */
export interface StubRequest {
  method: string
  target: string
  body: string
}

export interface StubSupervisorOptions {
  /** What GET /v1/processes answers (default: STUB_PROCESSES). */
  processes?: ProcessInfo[]
  /** What GET /v1/saved answers (default: one online and one stopped process). */
  saved?: SavedProcess[]
}

/**
 * A supervisor stand-in on `<temp TSPM_HOME>/tspm.sock`, built from tspm's own JSON server: it
 * answers the control API with canned data and records every request, so command tests run
 * in-process, fast, without real child processes. stop, restart and delete answer the names they
 * were given ("all": every name), or 404 unknown_process for a name not in the list, as the real
 * one does. Shutdown answers the pid of a process that has exited (the CLI waits for that pid to
 * be gone), then stops listening.
 */
export class StubSupervisor {
  readonly requests: StubRequest[] = []
  readonly paths: HomePaths
  /** The pid POST /v1/shutdown answers: a process that is gone already. */
  readonly shutdownPid: number
  readonly health: HealthResponse
  private readonly server: Server
  private closed = false

  private constructor(
    readonly home: string,
    readonly processes: ProcessInfo[],
    readonly saved: SavedProcess[],
  ) {
    this.paths = homePaths(home)
    this.shutdownPid = exitedPid()
    this.health = {pid: process.pid, version: '0.0.0-stub', home, started_at: Date.now(), mode: 'daemon'}
    this.server = createJsonServer(async (request) => {
      this.requests.push({method: request.method, target: request.target, body: request.body.toString('utf8')})
      return this.answer(request.method, request.target, request.body.toString('utf8'))
    })
  }

  /** A private home (0700) with a stub listening on its socket. */
  static async start(options: StubSupervisorOptions = {}): Promise<StubSupervisor> {
    const stub = new StubSupervisor(
      privateHome(),
      options.processes ?? STUB_PROCESSES,
      options.saved ?? stubSaved(['web', 'online'], ['worker', 'stopped']),
    )
    await listen(stub.server, stub.paths.socket)
    return stub
  }

  /** The requests, as `METHOD target`. */
  get calls(): string[] {
    return this.requests.map(({method, target}) => `${method} ${target}`)
  }

  /** Stops listening and removes the home. Safe to call twice. */
  async close(): Promise<void> {
    await this.stopListening()
    rmSync(this.home, {recursive: true, force: true})
  }

  private answer(method: string, target: string, body: string): JsonResponse {
    const [path] = target.split('?')
    const names = this.processes.map((entry) => entry.name)
    const action = /^\/v1\/processes\/([^/]+)(?:\/(stop|restart))?$/.exec(path)
    if (action && ((method === 'POST' && action[2]) || (method === 'DELETE' && !action[2]))) {
      const name = decodeURIComponent(action[1])
      if (name === 'all') return {status: 200, body: {names}}
      if (!names.includes(name)) {
        const message = `no process named "${name}"; known: ${names.join(', ')} (or "all")`
        return {status: 404, body: {error: {code: 'unknown_process', message}}}
      }

      return {status: 200, body: {names: [name]}}
    }

    switch (`${method} ${path}`) {
      case 'GET /v1/health': {
        return {status: 200, body: this.health}
      }

      case 'GET /v1/processes': {
        return {status: 200, body: this.processes}
      }

      case 'GET /v1/saved': {
        return {status: 200, body: this.saved}
      }

      case 'POST /v1/shutdown': {
        return {status: 200, body: {pid: this.shutdownPid}, after: () => this.stopListening()}
      }

      case 'POST /v1/wait': {
        // Each start as the canned table says it ended.
        const {targets} = JSON.parse(body) as {targets: Array<{name: string}>}
        const results = targets.map(({name}) => {
          const {start} = this.processes.find((entry) => entry.name === name)!
          return {name, online: start.outcome === 'ready', message: start.message}
        })
        return {status: 200, body: {results}}
      }

      default: {
        return {status: 404, body: {error: {code: 'not_found', message: `the stub has no ${method} ${path}`}}}
      }
    }
  }

  private async stopListening(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await close(this.server)
  }
}

/** A TSPM_HOME for a test with no supervisor at all; remove it with rmSync. */
export function privateHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'tspm-cmd-'))
  chmodSync(home, 0o700)
  return home
}

/** web online (pid 4242, 1 restart, up 65 s, 1.5% cpu, 50 MB) and worker stopped. */
export const STUB_PROCESSES: ProcessInfo[] = [
  {
    name: 'web',
    instance: 0,
    id: 'web',
    number: 0,
    status: 'online',
    desired: 'online',
    pid: 4242,
    proc_start_time: 123_456,
    restarts: 1,
    started_at: 1_700_000_000_000,
    last_exit: null,
    last_error: null,
    log_bytes_dropped: 0,
    status_detail: null,
    ready: null,
    health: null,
    last_restart_reason: 'crash',
    start: {attempt: 1, outcome: 'ready', message: null},
    uptime_ms: 65_000,
    cpu: 1.5,
    memory: 50 * 1024 * 1024,
    script: '/srv/app/server.js',
    args: ['--port', '3000'],
    cwd: '/srv/app',
    triggers: null,
  },
  {
    name: 'worker',
    instance: 0,
    id: 'worker',
    number: 1,
    status: 'stopped',
    desired: 'stopped',
    pid: null,
    proc_start_time: null,
    restarts: 0,
    started_at: null,
    last_exit: {code: 0, signal: null, at: 1_700_000_100_000},
    last_error: null,
    log_bytes_dropped: 0,
    status_detail: null,
    ready: null,
    health: null,
    last_restart_reason: null,
    start: {attempt: 1, outcome: 'failed', message: 'exited with code 0 after 100 ms; not restarting (stop-exit-code)'},
    uptime_ms: 0,
    cpu: 0,
    memory: 0,
    script: '/srv/app/worker.js',
    args: [],
    cwd: '/srv/app',
    triggers: null,
  },
]

/** Saved entries as the real supervisor answers them: complete specs, with their desired state. */
export function stubSaved(...entries: Array<[name: string, desired: 'online' | 'stopped']>): SavedProcess[] {
  return entries.map(([name, desired]) => ({
    spec: completeSpec({name, script: `/srv/app/${name}.js`, cwd: '/srv/app', env: {NODE_ENV: 'production'}}),
    desired,
  }))
}
