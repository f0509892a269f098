import {createServer, type Server, type Socket} from 'node:net'

/**
 * A minimal HTTP/1.1 server for the control API: one request per connection, JSON in and out
 * (text out for the metrics).
 * node:http would do, but it costs the supervisor about 1.5 MB of resident memory, which every
 * user pays for as long as their apps run; the API needs only this much of HTTP.
 */

export interface JsonRequest {
  method: string
  /** Path and query, as sent. */
  target: string
  body: Buffer
}

export interface JsonResponse {
  status: number
  /** Sent as JSON; with `contentType`, a string sent as it is. */
  body: unknown
  contentType?: string
  /** Runs once the response has been written out. */
  after?: () => void
}

const MAX_HEAD_BYTES = 16 * 1024
const MAX_BODY_BYTES = 16 * 1024 * 1024
const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
}

export interface JsonServerOptions {
  /** Larger bodies are refused (413). */
  maxBodyBytes?: number
  /** A connection that sends nothing for this long is closed (for a TCP port anyone local can reach). */
  idleTimeoutMs?: number
}

export function createJsonServer(
  handle: (request: JsonRequest) => Promise<JsonResponse>,
  options: JsonServerOptions = {},
): Server {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES
  return createServer((socket) => {
    let buffered = Buffer.alloc(0)
    let head: undefined | {method: string; target: string; length: number; headEnd: number}
    socket.on('error', () => socket.destroy())
    if (options.idleTimeoutMs !== undefined) {
      socket.setTimeout(options.idleTimeoutMs)
      socket.on('timeout', () => socket.destroy())
    }

    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (!head) {
        const headEnd = buffered.indexOf('\r\n\r\n')
        // Whether it came in pieces (no end yet) or whole, in one read.
        if (headEnd === -1 ? buffered.length > MAX_HEAD_BYTES : headEnd > MAX_HEAD_BYTES) {
          reply(socket, {status: 431, body: error('too_large', 'request head too large')})
          return
        }

        if (headEnd === -1) return

        const parsed = parseHead(buffered.subarray(0, headEnd).toString('latin1'), maxBodyBytes)
        if ('status' in parsed) {
          reply(socket, parsed)
          return
        }

        head = {...parsed, headEnd: headEnd + 4}
      }

      if (buffered.length - head.headEnd < head.length) return
      const body = buffered.subarray(head.headEnd, head.headEnd + head.length)
      socket.pause()
      handle({method: head.method, target: head.target, body}).then(
        (response) => reply(socket, response),
        (error_: Error) => reply(socket, {status: 500, body: error('internal', error_.message)}),
      )
    })
  })
}

function parseHead(
  text: string,
  maxBodyBytes: number,
): JsonResponse | {method: string; target: string; length: number} {
  const [requestLine, ...headerLines] = text.split('\r\n')
  const [method, target, version] = requestLine.split(' ')
  if (!method || !target?.startsWith('/') || !version?.startsWith('HTTP/1.')) {
    return {status: 400, body: error('bad_request', 'expected an HTTP/1.1 request line')}
  }

  let length = 0
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'transfer-encoding')
      return {status: 411, body: error('length_required', 'send the body with a content-length')}
    if (name === 'content-length') {
      length = Number(value)
      if (!Number.isInteger(length) || length < 0)
        return {status: 400, body: error('bad_request', 'bad content-length')}
      if (length > maxBodyBytes) return {status: 413, body: error('too_large', 'request body too large')}
    }
  }

  return {method, target, length}
}

function reply(socket: Socket, response: JsonResponse): void {
  const text = response.contentType === undefined ? JSON.stringify(response.body) : String(response.body)
  const head =
    `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Status'}\r\n` +
    `content-type: ${response.contentType ?? 'application/json'}\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n`
  socket.end(head + text, response.after)
}

function error(code: string, message: string): {error: {code: string; message: string}} {
  return {error: {code, message}}
}
