import type {Server} from 'node:net'

import {API_PREFIX, type ApiErrorBody, type HealthResponse, type StartRequest, type WaitRequest} from '../model/api.js'
import {createJsonServer, type JsonRequest, type JsonResponse} from './json-http-server.js'
import {type Supervisor, UnknownProcessError} from './supervisor.js'

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
 *   POST   /v1/processes                    start {processes: [{spec, desired}]}
 *   POST   /v1/processes/:name/stop|restart name or "all"
 *   DELETE /v1/processes/:name              name or "all"
 *   GET    /v1/saved                        what `save` writes
 *   POST   /v1/wait                         {targets: [{name, attempt}]}: answers once each start is settled
 *   POST   /v1/shutdown                     stop every app, then the supervisor
 *   POST   /v1/shutdown?if_idle=1           the same, only while it manages no process (409 else)
 */
export function createApiServer(
  supervisor: Supervisor,
  health: () => HealthResponse,
  shutdown: () => Promise<void>,
): Server {
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
    switch (key) {
      case 'DELETE processes/:name': {
        return {status: 200, body: {names: await supervisor.delete(parts[1])}}
      }

      case 'GET health': {
        return {status: 200, body: health()}
      }

      case 'GET processes': {
        return {status: 200, body: supervisor.list()}
      }

      case 'GET saved': {
        return {status: 200, body: supervisor.saved()}
      }

      case 'POST processes': {
        const body = parseJson(request.body) as StartRequest
        if (!Array.isArray(body?.processes)) throw new ApiError(400, 'bad_request', 'expected {"processes": [...]}')
        return {status: 200, body: await supervisor.start(body.processes)}
      }

      case 'POST processes/:name/restart': {
        return {status: 200, body: {names: await supervisor.restart(parts[1])}}
      }

      case 'POST processes/:name/stop': {
        return {status: 200, body: {names: await supervisor.stop(parts[1])}}
      }

      case 'POST shutdown': {
        if (searchParams.get('if_idle') === '1' && supervisor.size > 0) {
          throw new ApiError(409, 'busy', `the supervisor manages ${supervisor.size} process(es); not stopped`)
        }

        // Answer once every app is down; the supervisor leaves right after.
        await supervisor.shutdown()
        return {status: 200, body: {pid: process.pid}, after: () => shutdown()}
      }

      case 'POST wait': {
        const body = parseJson(request.body) as WaitRequest
        if (!Array.isArray(body?.targets))
          throw new ApiError(400, 'bad_request', 'expected {"targets": [{"name": ..., "attempt": ...}]}')
        return {status: 200, body: await supervisor.waitSettled(body.targets)}
      }

      default: {
        throw new ApiError(404, 'not_found', `no such endpoint: ${request.method} ${pathname}`)
      }
    }
  }

  return createJsonServer((request) =>
    route(request).catch((error: Error) => {
      const apiError =
        error instanceof ApiError
          ? error
          : error instanceof UnknownProcessError
            ? new ApiError(404, 'unknown_process', error.message)
            : new ApiError(500, 'internal', error.message)
      const body: ApiErrorBody = {error: {code: apiError.code, message: apiError.message}}
      return {status: apiError.status, body}
    }),
  )
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
