import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, afterEach, before, beforeEach, describe, test} from 'node:test'

import type {HealthResponse, ProcessInfo, SavedProcess, StartResponse} from '../../src/model/api.js'

import {createApiServer} from '../../src/supervisor/http-api.js'
import {type Supervisor, UnknownProcessError} from '../../src/supervisor/supervisor.js'
import {close, jsonBody, listen, request} from '../helpers/unix-http.js'
import {waitFor} from '../helpers/wait.js'

type ErrorBody = {error: {code: string; message: string}}

/** The Supervisor methods the API calls, recording each call; names it does not know are refused as the real one does. */
class FakeSupervisor {
  calls: Array<[string, ...unknown[]]> = []
  names = ['web', 'my app', 'a/b']
  size = 0
  failWith: Error | undefined

  list(): ProcessInfo[] {
    this.calls.push(['list'])
    return [{name: 'web'} as ProcessInfo]
  }

  saved(): SavedProcess[] {
    this.calls.push(['saved'])
    return [{spec: {name: 'web'}, desired: 'stopped'} as SavedProcess]
  }

  async start(processes: SavedProcess[]): Promise<StartResponse> {
    this.calls.push(['start', processes])
    return {results: processes.map(({spec}) => ({name: spec.name, outcome: 'started'}))}
  }

  async stop(target: string): Promise<string[]> {
    return this.act('stop', target)
  }

  async restart(target: string): Promise<string[]> {
    return this.act('restart', target)
  }

  async delete(target: string): Promise<string[]> {
    return this.act('delete', target)
  }

  async shutdown(): Promise<void> {
    this.calls.push(['shutdown'])
  }

  private act(action: string, target: string): string[] {
    this.calls.push([action, target])
    if (this.failWith) throw this.failWith
    if (target === 'all') return this.names
    if (!this.names.includes(target)) throw new UnknownProcessError(target, this.names)
    return [target]
  }
}

const HEALTH: HealthResponse = {
  pid: 4242,
  version: '1.2.3',
  home: '/srv/tspm',
  started_at: 1_700_000_000_000,
  mode: 'daemon',
}

describe('the control API routes', () => {
  let dir: string
  let socket: string
  let server: Server
  let supervisor: FakeSupervisor
  let shutdowns: number

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tspm-http-api-'))
    socket = join(dir, 'tspm.sock')
  })

  after(() => rmSync(dir, {recursive: true, force: true}))

  beforeEach(async () => {
    supervisor = new FakeSupervisor()
    shutdowns = 0
    server = createApiServer(
      supervisor as unknown as Supervisor,
      () => HEALTH,
      async () => {
        shutdowns++
      },
    )
    await listen(server, socket)
  })

  afterEach(() => close(server))

  test('GET /v1/health answers who runs', async () => {
    const response = await request(socket, 'GET', '/v1/health')
    assert.equal(response.status, 200)
    assert.deepEqual(jsonBody(response), HEALTH)
    assert.deepEqual(supervisor.calls, [])
  })

  test('GET /v1/processes answers the table, GET /v1/saved what save writes', async () => {
    const list = await request(socket, 'GET', '/v1/processes')
    assert.equal(list.status, 200)
    assert.deepEqual(jsonBody(list), [{name: 'web'}])
    const saved = await request(socket, 'GET', '/v1/saved')
    assert.equal(saved.status, 200)
    assert.deepEqual(jsonBody(saved), [{spec: {name: 'web'}, desired: 'stopped'}])
    assert.deepEqual(supervisor.calls, [['list'], ['saved']])
  })

  test('POST /v1/processes starts the processes of its body', async () => {
    const processes = [{spec: {name: 'web'}, desired: 'online'}]
    const response = await request(socket, 'POST', '/v1/processes', JSON.stringify({processes}))
    assert.equal(response.status, 200)
    assert.deepEqual(jsonBody(response), {results: [{name: 'web', outcome: 'started'}]})
    assert.deepEqual(supervisor.calls, [['start', processes]])
  })

  for (const [what, body] of [
    ['not JSON', '{"processes": ['],
    ['no body', ''],
    ['no processes list', '{"process": []}'],
    ['processes that are not a list', '{"processes": {"name": "web"}}'],
    ['JSON null', 'null'],
  ]) {
    test(`POST /v1/processes with ${what} is a bad request, and nothing starts`, async () => {
      const response = await request(socket, 'POST', '/v1/processes', body)
      assert.equal(response.status, 400)
      assert.equal(jsonBody<ErrorBody>(response).error.code, 'bad_request')
      assert.deepEqual(supervisor.calls, [])
    })
  }

  for (const action of ['stop', 'restart'] as const) {
    test(`POST /v1/processes/web/${action} ${action}s web and answers the names`, async () => {
      const response = await request(socket, 'POST', `/v1/processes/web/${action}`)
      assert.equal(response.status, 200)
      assert.deepEqual(jsonBody(response), {names: ['web']})
      assert.deepEqual(supervisor.calls, [[action, 'web']])
    })
  }

  test('DELETE /v1/processes/web deletes web; "all" is passed on as it is', async () => {
    const one = await request(socket, 'DELETE', '/v1/processes/web')
    assert.equal(one.status, 200)
    assert.deepEqual(jsonBody(one), {names: ['web']})
    const all = await request(socket, 'DELETE', '/v1/processes/all')
    assert.deepEqual(jsonBody(all), {names: ['web', 'my app', 'a/b']})
    assert.deepEqual(supervisor.calls, [
      ['delete', 'web'],
      ['delete', 'all'],
    ])
  })

  test('a %-encoded name is decoded, an encoded "/" included', async () => {
    const spaced = await request(socket, 'POST', '/v1/processes/my%20app/stop')
    assert.deepEqual(jsonBody(spaced), {names: ['my app']})
    const slashed = await request(socket, 'DELETE', `/v1/processes/${encodeURIComponent('a/b')}`)
    assert.deepEqual(jsonBody(slashed), {names: ['a/b']})
    assert.deepEqual(supervisor.calls, [
      ['stop', 'my app'],
      ['delete', 'a/b'],
    ])
  })

  test('a name that is not valid %-encoding is a bad request', async () => {
    const response = await request(socket, 'POST', '/v1/processes/%E0%A4%A/stop')
    assert.equal(response.status, 400)
    assert.equal(jsonBody<ErrorBody>(response).error.code, 'bad_request')
    assert.deepEqual(supervisor.calls, [])
  })

  test('a name the supervisor does not know is 404 unknown_process, with its message', async () => {
    const response = await request(socket, 'POST', '/v1/processes/nope/restart')
    assert.equal(response.status, 404)
    const {error} = jsonBody<ErrorBody>(response)
    assert.equal(error.code, 'unknown_process')
    assert.match(error.message, /no process named "nope"; known: web, my app, a\/b/)
  })

  test('any other failure of the supervisor is 500 internal, with its message', async () => {
    supervisor.failWith = new Error('cannot signal the group')
    const response = await request(socket, 'POST', '/v1/processes/web/stop')
    assert.equal(response.status, 500)
    assert.deepEqual(jsonBody(response), {error: {code: 'internal', message: 'cannot signal the group'}})
  })

  for (const [method, target] of [
    ['GET', '/health'],
    ['GET', '/'],
    ['GET', '/v2/health'],
  ]) {
    test(`${method} ${target}, outside /v1, is 404 and says where the API lives`, async () => {
      const response = await request(socket, method, target)
      assert.equal(response.status, 404)
      const {error} = jsonBody<ErrorBody>(response)
      assert.equal(error.code, 'not_found')
      assert.match(error.message, /under \/v1\//)
    })
  }

  for (const [method, target] of [
    ['GET', '/v1/nothing'],
    ['POST', '/v1/health'],
    ['GET', '/v1/processes/web'],
    ['POST', '/v1/processes/web/pause'],
    ['PUT', '/v1/processes/web/stop'],
    ['POST', '/v1/processes/web/stop/now'],
  ]) {
    test(`${method} ${target} is an unknown endpoint: 404, and nothing is done`, async () => {
      const response = await request(socket, method, target)
      assert.equal(response.status, 404)
      const {error} = jsonBody<ErrorBody>(response)
      assert.equal(error.code, 'not_found')
      assert.match(error.message, /no such endpoint/)
      assert.deepEqual(supervisor.calls, [])
    })
  }

  test('POST /v1/shutdown?if_idle=1 refuses with 409 while processes are managed', async () => {
    supervisor.size = 2
    const response = await request(socket, 'POST', '/v1/shutdown?if_idle=1')
    assert.equal(response.status, 409)
    const {error} = jsonBody<ErrorBody>(response)
    assert.equal(error.code, 'busy')
    assert.match(error.message, /manages 2 process/)
    assert.deepEqual(supervisor.calls, [])
    assert.equal(shutdowns, 0)
  })

  test('POST /v1/shutdown?if_idle=1 with no process stops the apps, answers, then shuts down', async () => {
    const response = await request(socket, 'POST', '/v1/shutdown?if_idle=1')
    assert.equal(response.status, 200)
    assert.deepEqual(jsonBody(response), {pid: process.pid})
    assert.deepEqual(supervisor.calls, [['shutdown']])
    await waitFor(() => shutdowns === 1, {what: 'the shutdown callback', timeoutMs: 5000, intervalMs: 5})
  })

  test('POST /v1/shutdown stops every app even while some are managed', async () => {
    supervisor.size = 3
    const response = await request(socket, 'POST', '/v1/shutdown')
    assert.equal(response.status, 200)
    assert.deepEqual(supervisor.calls, [['shutdown']])
    await waitFor(() => shutdowns === 1, {what: 'the shutdown callback', timeoutMs: 5000, intervalMs: 5})
  })
})
