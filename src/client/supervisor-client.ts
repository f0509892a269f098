import {lstatSync} from 'node:fs'
import {connect} from 'node:net'
import {setTimeout as delay} from 'node:timers/promises'

import type {HomePaths} from '../store/home.js'

import {
  type ActionResponse,
  API_PREFIX,
  type ApiErrorBody,
  type FlushResponse,
  type HealthResponse,
  type MetricsSettings,
  type ProcessInfo,
  type ReloadResponse,
  type SavedProcess,
  type StartResponse,
  type StartTarget,
  type WaitResponse,
} from '../model/api.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {isRunning} from '../os/proc.js'

/** How long a stopped supervisor may take to leave after it answered (its apps are down by then). */
const EXIT_TIMEOUT_MS = 10_000

/** No supervisor answers on the socket of this TSPM_HOME. */
export class SupervisorNotRunningError extends TspmError {
  constructor(home: string) {
    super(
      `no supervisor is running for TSPM_HOME=${home}; start your apps with \`tspm start\` (or \`tspm resurrect\`)`,
      {
        exit: ExitCode.notRunning,
        code: 'not_running',
      },
    )
  }
}

/** The CLI's side of the control API: one method per endpoint. */
export class SupervisorClient {
  /** `owner`: the uid the supervisor must run as; this process's own, or USER's for root's `tspm startup -u USER`. */
  constructor(
    readonly paths: HomePaths,
    private readonly owner: number = process.geteuid?.() ?? 0,
  ) {}

  private checkSocketOwner(): void {
    const problem = socketOwnerProblem(this.paths.socket, this.owner)
    if (problem) {
      throw new TspmError(
        `${problem}; tspm talks only to a supervisor of your own: remove it, or use your own TSPM_HOME`,
        {
          exit: ExitCode.usage,
          code: 'unsafe_home',
        },
      )
    }
  }

  /** The supervisor's identity, or undefined when nobody answers on the socket. */
  async health(): Promise<HealthResponse | undefined> {
    try {
      return await this.call<HealthResponse>('GET', 'health')
    } catch (error) {
      if (error instanceof SupervisorNotRunningError) return undefined
      throw error
    }
  }

  list(): Promise<ProcessInfo[]> {
    return this.call('GET', 'processes')
  }

  /** `metrics`: the listener to open or move (null closes it; undefined leaves it as it is). */
  start(processes: SavedProcess[], metrics?: MetricsSettings | null): Promise<StartResponse> {
    return this.call('POST', 'processes', metrics === undefined ? {processes} : {processes, metrics})
  }

  async act(action: 'delete' | 'reset' | 'restart' | 'stop', target: string): Promise<string[]> {
    const path = `processes/${encodeURIComponent(target)}`
    const response =
      action === 'delete'
        ? await this.call<ActionResponse>('DELETE', path)
        : await this.call<ActionResponse>('POST', `${path}/${action}`)
    return response.names
  }

  /** Sends `signal` to the processes `target` names (with `group`, to their process groups); returns their ids. */
  async signal(target: string, signal: NodeJS.Signals, group: boolean): Promise<string[]> {
    const path = `processes/${encodeURIComponent(target)}/signal`
    return (await this.call<ActionResponse>('POST', path, {signal, group})).names
  }

  /** Answers once every instance is reloaded, or a new one failed (ReloadResponse says which). */
  reload(target: string, specs?: SavedProcess['spec'][]): Promise<ReloadResponse> {
    return this.call('POST', `processes/${encodeURIComponent(target)}/reload`, specs ? {specs} : {})
  }

  async scale(target: string, instances: number): Promise<string[]> {
    const response = await this.call<ActionResponse>('POST', `processes/${encodeURIComponent(target)}/scale`, {
      instances,
    })
    return response.names
  }

  /** Empties the log files of an app, one instance (web:2), or "all", while they keep writing. */
  flush(target: string): Promise<FlushResponse> {
    return this.call('POST', `processes/${encodeURIComponent(target)}/flush`)
  }

  /** Answers once each start is settled (online, or failed); a long request, not a poll. */
  waitSettled(targets: StartTarget[]): Promise<WaitResponse> {
    return this.call('POST', 'wait', {targets})
  }

  saved(): Promise<SavedProcess[]> {
    return this.call('GET', 'saved')
  }

  /**
   * Stops every app, then the supervisor; resolves once its process is gone, so a `tspm start`
   * right after starts a new one.
   */
  async shutdown(): Promise<{pid: number}> {
    return this.stopSupervisor('shutdown')
  }

  /** Stops a supervisor that manages no process (one a CLI started for nothing); false when it manages some. */
  async shutdownIfIdle(): Promise<boolean> {
    try {
      await this.stopSupervisor('shutdown?if_idle=1')
      return true
    } catch (error) {
      if (error instanceof TspmError && error.code === 'busy') return false
      throw error
    }
  }

  private async stopSupervisor(path: string): Promise<{pid: number}> {
    const {pid} = await this.call<{pid: number}>('POST', path)
    const deadline = Date.now() + EXIT_TIMEOUT_MS
    while (isRunning(pid) && Date.now() < deadline) await delay(10)
    return {pid}
  }

  /**
   * One request per connection, as the supervisor answers (HTTP/1.1, `connection: close`). Plain
   * net rather than node:http: `tspm list` runs often, and the http client costs it about a third
   * of its start-up.
   */
  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.checkSocketOwner()
    const payload = body === undefined ? '' : JSON.stringify(body)
    const head =
      `${method} ${API_PREFIX}/${path} HTTP/1.1\r\nhost: tspm\r\nconnection: close\r\n` +
      (body === undefined
        ? ''
        : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n`) +
      '\r\n'
    return new Promise<T>((resolve, reject) => {
      const socket = connect(this.paths.socket)
      const chunks: Buffer[] = []
      // write, not end: a half-closed socket would make the server hang up before it answers.
      socket.on('connect', () => socket.write(head + payload))
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('end', () => {
        const response = Buffer.concat(chunks).toString('utf8')
        const headEnd = response.indexOf('\r\n\r\n')
        const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(response)?.[1])
        let parsed: unknown
        try {
          parsed = JSON.parse(response.slice(headEnd + 4))
        } catch {
          reject(new TspmError(`the supervisor sent an answer that is not JSON (HTTP ${status || '?'})`))
          return
        }

        if (status === 200) resolve(parsed as T)
        else reject(apiError(parsed as ApiErrorBody))
      })
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
          reject(new SupervisorNotRunningError(this.paths.home))
        else if (error.code === 'EACCES')
          reject(
            new TspmError(
              `no permission to use ${this.paths.socket}: it belongs to another user; run tspm as that user or set TSPM_HOME`,
            ),
          )
        else reject(new TspmError(`cannot reach the supervisor on ${this.paths.socket}: ${error.message}`))
      })
    })
  }
}

/**
 * The process answering on the socket runs as this user: Node has no SO_PEERCRED, but bind()
 * creates the socket file owned by the binder's effective uid, and TSPM_HOME is private to us
 * (store/home.ts), so nobody else can have put a socket of theirs there.
 */
function socketOwnerProblem(socket: string, uid: number): string | undefined {
  let stat
  try {
    stat = lstatSync(socket)
  } catch {
    return undefined // nobody listens: health() reports that
  }

  if (!stat.isSocket()) return `${socket} is not a socket`
  if (stat.uid !== uid)
    return `${socket} belongs to uid ${stat.uid}, not to uid ${uid}: it is another user's supervisor`
  return undefined
}

function apiError(body: ApiErrorBody): TspmError {
  const {code = 'failure', message = 'the supervisor reported an error'} = body?.error ?? {}
  return new TspmError(message, {code, exit: ExitCode.failure})
}
