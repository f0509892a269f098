import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import {API_PREFIX, type ApiErrorBody, type HealthResponse, type StartRequest} from './api-types.js'
import {UnknownProcessError, type Supervisor} from './supervisor.js'

const MAX_BODY_BYTES = 16 * 1024 * 1024

class HttpError extends Error {
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
 *   POST   /v1/shutdown                     stop every app, then the supervisor
 */
export function createApiServer(supervisor: Supervisor, health: () => HealthResponse, shutdown: () => Promise<void>): Server {
  const handle = async (request: IncomingMessage): Promise<{status: number; body: unknown; after?: () => void}> => {
    const url = new URL(request.url ?? '/', 'http://tspm')
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) throw new HttpError(404, 'not_found', `no such endpoint ${url.pathname}; the API lives under ${API_PREFIX}/`)
    const parts = url.pathname.slice(API_PREFIX.length + 1).split('/').map(decodeURIComponent)
    const route = `${request.method} ${parts[0]}${parts.length > 1 ? '/:name' : ''}${parts.length > 2 ? `/${parts[2]}` : ''}`
    switch (route) {
      case 'GET health':
        return {status: 200, body: health()}
      case 'GET processes':
        return {status: 200, body: supervisor.list()}
      case 'POST processes': {
        const body = (await readJson(request)) as StartRequest
        if (!Array.isArray(body?.processes)) throw new HttpError(400, 'bad_request', 'expected {"processes": [...]}')
        return {status: 200, body: await supervisor.start(body.processes)}
      }
      case 'POST processes/:name/stop':
        return {status: 200, body: {names: await supervisor.stop(parts[1])}}
      case 'POST processes/:name/restart':
        return {status: 200, body: {names: await supervisor.restart(parts[1])}}
      case 'DELETE processes/:name':
        return {status: 200, body: {names: await supervisor.delete(parts[1])}}
      case 'GET saved':
        return {status: 200, body: supervisor.saved()}
      case 'POST shutdown':
        // Answer once every app is down; the supervisor leaves right after.
        await supervisor.shutdown()
        return {status: 200, body: {pid: process.pid}, after: () => void shutdown()}
      default:
        throw new HttpError(404, 'not_found', `no such endpoint: ${request.method} ${url.pathname}`)
    }
  }

  return createServer((request, response) => {
    handle(request).then(
      ({status, body, after}) => {
        send(response, status, body)
        if (after) response.once('finish', after)
      },
      (error: Error) => {
        const httpError =
          error instanceof HttpError
            ? error
            : error instanceof UnknownProcessError
              ? new HttpError(404, 'unknown_process', error.message)
              : new HttpError(500, 'internal', error.message)
        const body: ApiErrorBody = {error: {code: httpError.code, message: httpError.message}}
        send(response, httpError.status, body)
      },
    )
  })
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  response.end(text)
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', 'request body too large')
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'bad_request', 'the request body is not JSON')
  }
}
