/**
 * The opt-in TCP listener for Prometheus (a config's top-level `metrics: {listen}`): it serves
 * GET /metrics and nothing else, never the control API, which stays on the private Unix socket.
 * The last `tspm start` that names one wins: the listener moves there; `metrics: false` closes it.
 */
import type {Server} from 'node:net'

import type {MetricsSettings} from '../model/api.js'

import {describeListen, metricsUrl} from '../model/listen.js'
import {createJsonServer, type JsonResponse} from './json-http-server.js'
import {bindErrorReason} from './listen-sockets.js'
import {METRICS_CONTENT_TYPE} from './metrics.js'

/** Anyone who can reach the port can connect: no request body, no idle connection kept for long, few at once. */
const IDLE_TIMEOUT_MS = 10_000
const MAX_CONNECTIONS = 16

/** The listener could not be opened where the config asks; what was open before stays open. */
export class MetricsListenError extends Error {}

export class MetricsListener {
  private server: Server | undefined
  private current: MetricsSettings | null = null
  /** Changes one after another: two starts at once must not both bind. */
  private changing: Promise<void> = Promise.resolve()

  constructor(
    private readonly render: () => string,
    private readonly log: (message: string) => void,
  ) {}

  /** Where it listens, or null. */
  get settings(): MetricsSettings | null {
    return this.current
  }

  /** Opens the listener at `settings` (moving it when it was elsewhere), or closes it (null). */
  apply(settings: MetricsSettings | null): Promise<void> {
    const change = this.changing.then(() => this.applyNow(settings))
    this.changing = change.catch(() => {})
    return change
  }

  close(): void {
    this.server?.close()
    this.server = undefined
    this.current = null
  }

  private async applyNow(settings: MetricsSettings | null): Promise<void> {
    const previous = this.current
    if (sameListen(settings, previous)) return
    if (settings === null) {
      this.close()
      this.log(`metrics listener on ${address(previous!)} closed`)
      return
    }

    let server: Server
    try {
      server = await this.open(settings)
    } catch (error) {
      // The same port on another address of this machine: ours is in the way, so it goes first.
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      if (!inUse || previous?.listen.port !== settings.listen.port) throw listenError(settings, error)
      this.server?.close()
      this.server = undefined
      this.current = null
      try {
        server = await this.open(settings)
      } catch (retryError) {
        await this.open(previous)
          .then((back) => {
            this.server = back
            this.current = previous
          })
          .catch(() => this.log(`metrics listener on ${address(previous)} could not be opened again; it is closed`))
        throw listenError(settings, retryError)
      }
    }

    this.server?.close()
    this.server = server
    this.current = settings
    this.log(`metrics on ${metricsUrl(settings.listen)}${previous ? ` (was ${address(previous)})` : ''}`)
  }

  private async open(settings: MetricsSettings): Promise<Server> {
    const server = createJsonServer(async (request) => this.answer(request.method, request.target), {
      maxBodyBytes: 0,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
    })
    server.maxConnections = MAX_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({host: settings.listen.host, port: settings.listen.port}, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // A later error on the listening socket must not take the supervisor down.
    server.on('error', (error) => this.log(`metrics listener on ${address(settings)}: ${error.message}`))
    return server
  }

  private answer(method: string, target: string): JsonResponse {
    const path = target.split('?')[0]
    if (method === 'GET' && path === '/metrics') {
      return {status: 200, contentType: METRICS_CONTENT_TYPE, body: this.render()}
    }

    return {status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found: this port serves GET /metrics\n'}
  }
}

function address(settings: MetricsSettings): string {
  return describeListen({kind: 'tcp', ...settings.listen})
}

function sameListen(a: MetricsSettings | null, b: MetricsSettings | null): boolean {
  return a?.listen.host === b?.listen.host && a?.listen.port === b?.listen.port
}

function listenError(settings: MetricsSettings, error: unknown): MetricsListenError {
  const {errno, message} = error as NodeJS.ErrnoException
  const why = errno === undefined ? message : bindErrorReason(errno, settings.listen.port)
  return new MetricsListenError(
    `cannot serve metrics on ${address(settings)} (metrics.listen): ${why}; choose another port, or leave metrics out`,
  )
}
