import assert from 'node:assert/strict'
import {connect, createServer} from 'node:net'
import {test} from 'node:test'

import {MetricsListener, MetricsListenError} from '../../src/supervisor/metrics-listener.js'
import {freePort, portIsOpen} from '../helpers/net.js'

/** One raw HTTP exchange with 127.0.0.1:port, read until the server hangs up. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => {
      received += chunk
    })
    socket.once('error', reject)
    socket.once('end', () => resolve(received))
    socket.once('connect', () => socket.write(text))
  })
}

const settings = (port: number, host = '127.0.0.1') => ({listen: {host, port}})

test('the listener serves GET /metrics as text and answers 404 to anything else', async (t) => {
  const logged: string[] = []
  const listener = new MetricsListener(
    () => '# HELP x x\n# TYPE x gauge\nx 1\n',
    (message) => logged.push(message),
  )
  t.after(() => listener.close())
  const port = await freePort()
  await listener.apply(settings(port))
  assert.deepEqual(listener.settings, settings(port))
  assert.deepEqual(logged, [`metrics on http://127.0.0.1:${port}/metrics`])

  const ok = await exchange(port, 'GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n')
  assert.match(ok, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/)
  assert.ok(ok.endsWith('\r\n\r\n# HELP x x\n# TYPE x gauge\nx 1\n'))
  assert.match(await exchange(port, 'GET /metrics?name[]=x HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 200 /)
  for (const head of ['GET /v1/health HTTP/1.1', 'GET /v1/metrics HTTP/1.1', 'HEAD /metrics HTTP/1.1']) {
    assert.match(await exchange(port, `${head}\r\n\r\n`), /^HTTP\/1\.1 404 Not Found\r\n/, head)
  }

  // No request body is taken from a port anyone on the machine can reach.
  const posted = await exchange(port, 'POST /metrics HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello')
  assert.match(posted, /^HTTP\/1\.1 413 /)
})

test('apply moves the listener (the same port on another address too), null closes it, the same settings change nothing', async (t) => {
  const logged: string[] = []
  const listener = new MetricsListener(
    () => '',
    (message) => logged.push(message),
  )
  t.after(() => listener.close())
  const [first, second] = [await freePort(), await freePort()]
  await listener.apply(settings(first))
  await listener.apply(settings(first))
  await listener.apply(settings(second))
  assert.equal(await portIsOpen(first), false)
  assert.equal(await portIsOpen(second), true)
  await listener.apply(settings(second, '0.0.0.0'))
  assert.deepEqual(listener.settings, settings(second, '0.0.0.0'))
  assert.equal(await portIsOpen(second), true)
  await listener.apply(null)
  assert.equal(listener.settings, null)
  assert.equal(await portIsOpen(second), false)
  assert.deepEqual(logged, [
    `metrics on http://127.0.0.1:${first}/metrics`,
    `metrics on http://127.0.0.1:${second}/metrics (was 127.0.0.1:${first})`,
    `metrics on http://0.0.0.0:${second}/metrics (was 127.0.0.1:${second})`,
    `metrics listener on 0.0.0.0:${second} closed`,
  ])
})

test('a port in use is an error naming the holder, and the listener that was open stays open', async (t) => {
  const listener = new MetricsListener(
    () => '',
    () => {},
  )
  t.after(() => listener.close())
  const [open, taken] = [await freePort(), await freePort()]
  const holder = createServer()
  await new Promise<void>((resolve) => {
    holder.listen(taken, '127.0.0.1', () => resolve())
  })
  t.after(() => holder.close())
  await listener.apply(settings(open))
  await assert.rejects(listener.apply(settings(taken)), (error: Error) => {
    assert.ok(error instanceof MetricsListenError)
    assert.match(
      error.message,
      new RegExp(
        `^cannot serve metrics on 127\\.0\\.0\\.1:${taken} \\(metrics\\.listen\\): in use by pid ${process.pid} \\(.+\\); choose another port, or leave metrics out$`,
      ),
    )
    return true
  })
  assert.deepEqual(listener.settings, settings(open))
  assert.equal(await portIsOpen(open), true)
  await assert.rejects(listener.apply(settings(open, '192.0.2.1')), {
    message: `cannot serve metrics on 192.0.2.1:${open} (metrics.listen): not an address of this machine; choose another port, or leave metrics out`,
  })
})
