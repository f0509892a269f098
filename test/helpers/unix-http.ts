import {connect, type Server} from 'node:net'

/** Starts `server` on the Unix socket `socketPath`. */
export async function listen(server: Server, socketPath: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Stops `server` (its socket file goes with it). */
export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
  })
}

/** What a server sent on one connection, read until it hung up. */
export interface RawResponse {
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  body: string
  /** Every byte received, as text: to check that exactly one response came. */
  raw: string
}

/**
 * Writes `chunks` one after another on one connection to a Unix socket and resolves with what
 * the server sent once it hung up. `beforeChunk(index)` runs before every chunk but the first,
 * so a test can wait until the server has read the previous one (a split it cannot merge).
 */
export function sendRaw(
  socketPath: string,
  chunks: Array<Buffer | string>,
  beforeChunk?: (index: number) => Promise<unknown>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.once('error', reject)
    socket.once('end', () => resolve(parseResponse(Buffer.concat(received).toString('utf8'))))
    socket.once('connect', async () => {
      try {
        for (const [index, chunk] of chunks.entries()) {
          if (index > 0 && beforeChunk) await beforeChunk(index)
          // write, not end: a half-closed socket would make the server hang up before it answers.
          socket.write(chunk)
        }
      } catch (error) {
        socket.destroy()
        reject(error)
      }
    })
  })
}

/** One HTTP/1.1 request with a JSON-ish body (a string is sent as is), as the CLI sends it. */
export function request(socketPath: string, method: string, target: string, body?: string): Promise<RawResponse> {
  const lines = [`${method} ${target} HTTP/1.1`, 'host: tspm', 'connection: close']
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`)
  return sendRaw(socketPath, [`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`])
}

/** The JSON body of a response. */
export function jsonBody<T = unknown>(response: RawResponse): T {
  return JSON.parse(response.body) as T
}

function parseResponse(raw: string): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n')
  if (headEnd === -1) throw new Error(`not an HTTP response: ${JSON.stringify(raw)}`)
  const [statusLine, ...headerLines] = raw.slice(0, headEnd).split('\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1])
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }

  return {status, headers, body: raw.slice(headEnd + 4), raw}
}
