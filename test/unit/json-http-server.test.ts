import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'

import {createJsonServer, type JsonRequest, type JsonResponse} from '../../src/supervisor/json-http-server.js'
import {close, jsonBody, listen, type RawResponse, request, sendRaw} from '../helpers/unix-http.js'
import {waitFor} from '../helpers/wait.js'

type ErrorBody = {error: {code: string; message: string}}

describe('the JSON HTTP server of the control API', () => {
  let dir: string
  let socket: string
  let server: Server
  let handled: JsonRequest[]
  /** Data events the server has read, over every connection. */
  let chunksRead: number
  let handler: (request: JsonRequest) => Promise<JsonResponse>

  const echo = async (incoming: JsonRequest): Promise<JsonResponse> => ({
    status: 200,
    body: {method: incoming.method, target: incoming.target, body: incoming.body.toString('utf8')},
  })

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tspm-json-server-'))
    socket = join(dir, 'test.sock')
    server = createJsonServer((incoming) => {
      handled.push(incoming)
      return handler(incoming)
    })
    // Added after the server's own listener, so this one counts chunks the server has already seen.
    server.on('connection', (connection) =>
      connection.on('data', () => {
        chunksRead++
      }),
    )
    await listen(server, socket)
  })

  after(async () => {
    await close(server)
    rmSync(dir, {recursive: true, force: true})
  })

  beforeEach(() => {
    handled = []
    chunksRead = 0
    handler = echo
  })

  /** Every answer says how long it is and that the connection ends with it. */
  function assertFraming(response: RawResponse): void {
    assert.equal(response.headers['content-type'], 'application/json')
    assert.equal(response.headers['content-length'], String(Buffer.byteLength(response.body)))
    assert.equal(response.headers.connection, 'close')
    assert.equal(response.raw.match(/HTTP\/1\.1 \d{3} /g)?.length, 1, 'exactly one response')
  }

  test('a request whose head and body come in pieces is handled once, with the whole body', async () => {
    const body = JSON.stringify({processes: [{name: 'web', note: 'é'.repeat(10)}]})
    const whole = `POST /v1/processes?x=1 HTTP/1.1\r\nhost: tspm\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    const separator = whole.indexOf('\r\n\r\n')
    // Inside the request line, inside the blank line that ends the head, and inside the body.
    const cuts = [5, separator + 1, separator + 3, separator + 4 + 7]
    const bytes = Buffer.from(whole)
    const chunks = [0, ...cuts].map((start, index) => bytes.subarray(start, [...cuts, bytes.length][index]))
    const response = await sendRaw(socket, chunks, (index) =>
      waitFor(() => chunksRead >= index, {what: `the server to read chunk ${index}`, timeoutMs: 5000, intervalMs: 5}),
    )
    assert.ok(chunksRead >= chunks.length, `the request arrived in ${chunksRead} reads`)
    assert.equal(response.status, 200)
    assertFraming(response)
    assert.deepEqual(jsonBody(response), {method: 'POST', target: '/v1/processes?x=1', body})
    assert.equal(handled.length, 1)
  })

  test('a request without a body is handled with an empty one', async () => {
    const response = await request(socket, 'GET', '/v1/health')
    assert.equal(response.status, 200)
    assertFraming(response)
    assert.deepEqual(jsonBody(response), {method: 'GET', target: '/v1/health', body: ''})
  })

  for (const [what, head] of [
    ['not HTTP at all', 'hello\r\n\r\n'],
    ['a target that is not a path', 'GET v1/health HTTP/1.1\r\n\r\n'],
    ['another protocol version', 'GET /v1/health HTTP/2.0\r\n\r\n'],
    ['a content-length that is not a number', 'POST /v1/processes HTTP/1.1\r\ncontent-length: ten\r\n\r\n'],
    ['a negative content-length', 'POST /v1/processes HTTP/1.1\r\ncontent-length: -1\r\n\r\n'],
  ]) {
    test(`a bad request (${what}) is answered 400 and never handled`, async () => {
      const response = await sendRaw(socket, [head])
      assert.equal(response.status, 400)
      assertFraming(response)
      assert.equal(jsonBody<ErrorBody>(response).error.code, 'bad_request')
      assert.equal(handled.length, 0)
    })
  }

  test('a chunked body is refused with 411: the body must come with a content-length', async () => {
    const response = await sendRaw(socket, [
      'POST /v1/processes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    ])
    assert.equal(response.status, 411)
    assertFraming(response)
    assert.equal(jsonBody<ErrorBody>(response).error.code, 'length_required')
    assert.equal(handled.length, 0)
  })

  test('a body announced over 16 MB is refused with 413 before it is sent', async () => {
    const response = await sendRaw(socket, [
      `POST /v1/processes HTTP/1.1\r\ncontent-length: ${16 * 1024 * 1024 + 1}\r\n\r\n`,
    ])
    assert.equal(response.status, 413)
    assertFraming(response)
    assert.equal(jsonBody<ErrorBody>(response).error.code, 'too_large')
    assert.equal(handled.length, 0)
  })

  test('a body of exactly 16 MB is accepted', async () => {
    const body = 'x'.repeat(16 * 1024 * 1024)
    handler = async (incoming) => ({status: 200, body: {length: incoming.body.length}})
    const response = await request(socket, 'POST', '/v1/processes', body)
    assert.equal(response.status, 200)
    assert.deepEqual(jsonBody(response), {length: body.length})
  })

  test('a head that grows past 16 KB without ending is refused with 431', async () => {
    const response = await sendRaw(socket, [`GET /v1/health HTTP/1.1\r\nx-filler: ${'a'.repeat(17 * 1024)}`])
    assert.equal(response.status, 431)
    assertFraming(response)
    assert.equal(jsonBody<ErrorBody>(response).error.code, 'too_large')
    assert.equal(handled.length, 0)
  })

  test('a head over 16 KB is refused with 431 also when it arrives complete', async () => {
    const response = await sendRaw(socket, [`GET /v1/health HTTP/1.1\r\nx-filler: ${'a'.repeat(17 * 1024)}\r\n\r\n`])
    assert.equal(response.status, 431)
    assert.equal(handled.length, 0)
  })

  test('a handler that fails is answered 500 with code internal and its message', async () => {
    handler = async () => {
      throw new Error('the table is on fire')
    }

    const response = await request(socket, 'GET', '/v1/processes')
    assert.equal(response.status, 500)
    assertFraming(response)
    assert.deepEqual(jsonBody(response), {error: {code: 'internal', message: 'the table is on fire'}})
  })

  test("the handler's status and body are sent as they are, and `after` runs once the answer is out", async () => {
    let afterRan = false
    handler = async () => ({
      status: 404,
      body: {error: {code: 'unknown_process', message: 'no process named "nope"'}},
      after() {
        afterRan = true
      },
    })
    const response = await request(socket, 'POST', '/v1/processes/nope/stop')
    assert.equal(response.status, 404)
    assert.match(response.raw, /^HTTP\/1\.1 404 Not Found\r\n/)
    assertFraming(response)
    assert.equal(jsonBody<ErrorBody>(response).error.code, 'unknown_process')
    await waitFor(() => afterRan, {what: 'the after callback', timeoutMs: 5000, intervalMs: 5})
  })
})
