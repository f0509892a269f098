import type {Server} from 'node:net'

import {constants} from 'node:os'

import {
  API_PREFIX,
  type ApiErrorBody,
  type HealthResponse,
  type MetricsSettings,
  type ReloadRequest,
  type ScaleRequest,
  type SignalRequest,
  type StartRequest,
  type WaitRequest,
} from '../model/api.js'
import {createJsonServer, type JsonRequest, type JsonResponse} from './json-http-server.js'
import {type MetricsListener, MetricsListenError} from './metrics-listener.js'
import {METRICS_CONTENT_TYPE} from './metrics.js'
import {NotForInstanceError, NotRunningError, type Supervisor, UnknownProcessError} from './supervisor.js'

const SIGNAL_NAMES = new Set(Object.keys(constants.signals))

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The control API, plain HTTP/1.1 + JSON so `curl --unix-socket` works:
 *   GET    /v1/health                       who answers
 *   GET    /v1/processes                    the table
 *   POST   /v1/processes                    start {processes: [{spec, desired}], metrics?}
 *   POST   /v1/processes/:name/stop|restart name, one instance (web:2), or "all"
 *   POST   /v1/processes/:name/reload       {specs?}: new instances rolled in, one at a time
 *   POST   /v1/processes/:name/scale        {instances: N}
 *   POST   /v1/processes/:name/signal       {signal: "SIGUSR2", group?: true}
 *   POST   /v1/processes/:name/reset        restart counters back to 0
 *   POST   /v1/processes/:name/flush        empties its log files (name, web:2, or "all")
 *   DELETE /v1/processes/:name              name or "all"
 *   GET    /v1/saved                        what `save` writes
 *   GET    /v1/metrics                      Prometheus's text format (metrics.ts)
 *   POST   /v1/wait                         {targets: [{name, attempt}]}: answers once each start is settled
 *   POST   /v1/shutdown                     stop every app, then the supervisor
 *   POST   /v1/shutdown?if_idle=1           the same, only while it manages no process (409 else)
 */
export function createApiServer(
  supervisor: Supervisor,
  health: () => HealthResponse,
  shutdown: () => Promise<void>,
  metrics?: {listener: MetricsListener; render: () => string},
): Server {
  type Handler = (name: string, request: JsonRequest, query: URLSearchParams) => JsonResponse | Promise<JsonResponse>
  const ok = (body: unknown): JsonResponse => ({status: 200, body})
  const routes: Record<string, Handler> = {
    'DELETE processes/:name': async (name) => ok({names: await supervisor.delete(name)}),
    'GET health': () => ok(health()),
    'GET metrics'() {
      if (!metrics) throw new ApiError(404, 'not_found', 'this supervisor serves no metrics')
      return {status: 200, contentType: METRICS_CONTENT_TYPE, body: metrics.render()}
    },
    'GET processes': () => ok(supervisor.list()),
    'GET saved': () => ok(supervisor.saved()),
    async 'POST processes'(_name, request) {
      const body = parseJson(request.body) as StartRequest
      if (!Array.isArray(body?.processes)) throw new ApiError(400, 'bad_request', 'expected {"processes": [...]}')
      // The listener first: when it cannot be opened, nothing of this start happens.
      if (body.metrics !== undefined) await applyMetrics(metrics?.listener, body.metrics)
      return ok(await supervisor.start(body.processes))
    },
    async 'POST processes/:name/reload'(name, request) {
      const body = (request.body.length === 0 ? {} : parseJson(request.body)) as ReloadRequest
      if (body?.specs !== undefined && !Array.isArray(body.specs))
        throw new ApiError(400, 'bad_request', 'expected {"specs": [...]}')
      return ok({results: await supervisor.reload(name, body.specs)})
    },
    'POST processes/:name/flush': (name) => ok(supervisor.flushLogs(name)),
    'POST processes/:name/restart': async (name) => ok({names: await supervisor.restart(name)}),
    async 'POST processes/:name/scale'(name, request) {
      const body = parseJson(request.body) as ScaleRequest
      if (!Number.isSafeInteger(body?.instances) || body.instances < 1 || body.instances > 1024)
        throw new ApiError(400, 'bad_request', 'expected {"instances": N} with N from 1 to 1024')
      return ok({names: await supervisor.scale(name, body.instances)})
    },
    'POST processes/:name/stop': async (name) => ok({names: await supervisor.stop(name)}),
    'POST processes/:name/signal'(name, request) {
      const body = parseJson(request.body) as SignalRequest
      if (
        typeof body?.signal !== 'string' ||
        !SIGNAL_NAMES.has(body.signal) ||
        (body.group ?? false) !== Boolean(body.group)
      )
        throw new ApiError(
          400,
          'bad_request',
          'expected {"signal": "SIGUSR2", "group": false} with a signal this system knows',
        )
      return ok({names: supervisor.signal(name, body.signal as NodeJS.Signals, body.group ?? false)})
    },
    'POST processes/:name/reset': (name) => ok({names: supervisor.reset(name)}),
    async 'POST shutdown'(_name, _request, query) {
      if (query.get('if_idle') === '1' && supervisor.size > 0) {
        throw new ApiError(409, 'busy', `the supervisor manages ${supervisor.size} process(es); not stopped`)
      }

      // Answer once every app is down; the supervisor leaves right after.
      await supervisor.shutdown()
      return {status: 200, body: {pid: process.pid}, after: () => shutdown()}
    },
    async 'POST wait'(_name, request) {
      const body = parseJson(request.body) as WaitRequest
      if (!Array.isArray(body?.targets))
        throw new ApiError(400, 'bad_request', 'expected {"targets": [{"name": ..., "attempt": ...}]}')
      return ok(await supervisor.waitSettled(body.targets))
    },
  }

  const route = async (request: JsonRequest): Promise<JsonResponse> => {
    const {pathname, searchParams} = new URL(request.target, 'http://tspm')
    if (!pathname.startsWith(`${API_PREFIX}/`))
      throw new ApiError(404, 'not_found', `no such endpoint ${pathname}; the API lives under ${API_PREFIX}/`)
    const parts = pathname
      .slice(API_PREFIX.length + 1)
      .split('/')
      .map(decodePart)
    // Anything past processes/:name/action names no endpoint (and must not act as the action).
    const key = `${request.method} ${parts[0]}${parts.length > 1 ? '/:name' : ''}${parts.length > 2 ? `/${parts[2]}` : ''}${parts.length > 3 ? '/...' : ''}`
    const handler = Object.hasOwn(routes, key) ? routes[key] : undefined
    if (!handler) throw new ApiError(404, 'not_found', `no such endpoint: ${request.method} ${pathname}`)
    return handler(parts[1]!, request, searchParams)
  }

  return createJsonServer((request) =>
    route(request).catch((error: Error) => {
      const apiError =
        error instanceof ApiError
          ? error
          : error instanceof UnknownProcessError
            ? new ApiError(404, 'unknown_process', error.message)
            : error instanceof NotForInstanceError
              ? new ApiError(400, 'usage', error.message)
              : error instanceof NotRunningError
                ? new ApiError(409, 'not_running', error.message)
                : new ApiError(500, 'internal', error.message)
      const body: ApiErrorBody = {error: {code: apiError.code, message: apiError.message}}
      return {status: apiError.status, body}
    }),
  )
}

async function applyMetrics(listener: MetricsListener | undefined, settings: unknown): Promise<void> {
  const listen = (settings as MetricsSettings | null)?.listen
  if (settings !== null && (typeof listen?.host !== 'string' || !Number.isInteger(listen.port)))
    throw new ApiError(400, 'bad_request', 'expected "metrics": {"listen": {"host": ..., "port": ...}} or null')
  if (!listener) throw new ApiError(400, 'bad_request', 'this supervisor serves no metrics')
  try {
    await listener.apply(settings as MetricsSettings | null)
  } catch (error) {
    if (error instanceof MetricsListenError) throw new ApiError(409, 'metrics_unavailable', error.message)
    throw error
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new ApiError(400, 'bad_request', `the path holds a bad %-encoding: ${part}`)
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new ApiError(400, 'bad_request', 'the request body is not JSON')
  }
}
