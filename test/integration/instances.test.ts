// Instances behind sockets tspm holds: N copies of an app on one port, each restarted on its own,
// rolled over by `reload` without a failed request, scaled, saved and resurrected. Real apps (Node
// and Python) on real sockets; every check is what a client or `tspm list` sees.
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'

import {envelope, REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {freePort} from '../helpers/net.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const SERVER = join(APPS, 'socket-server.js')

interface Listed {
  name: string
  id: string
  instance: number
  pid: null | number
  status: string
  restarts: number
  last_restart_reason: null | string
}

/** What an instance wrote at its start (socket-server.js). */
interface Seen {
  pid: number
  listen_pid: string
  listen_fds: string
  listen_fdnames: string
  instance: string
  node_app_instance: string
  port?: string
}

/** One GET; resolves to the pid that answered (the first number of the body). */
function get(target: number | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const where = typeof target === 'number' ? {host: '127.0.0.1', port: target} : {socketPath: target}
    const request = http.get({...where, path: '/', agent: false}, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(Number(/\d+/.exec(body)?.[0]))
          : reject(new Error(`HTTP ${response.statusCode}`)),
      )
    })
    request.on('error', reject)
    request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')))
  })
}

/**
 * Requests at a steady rate (one every 5 ms: 200 per second, each on its own connection) until
 * stopped; counts what answered and what failed, and why.
 */
function steadyClient(port: number) {
  let ok = 0
  const failures: string[] = []
  const pids = new Set<number>()
  const pending = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const request = get(port).then(
      (pid) => {
        ok++
        pids.add(pid)
      },
      (error: Error) => {
        failures.push(error.message)
      },
    )
    pending.add(request)
    request.finally(() => pending.delete(request))
  }, 5)
  return {
    get ok() {
      return ok
    },
    async stop() {
      clearInterval(timer)
      await Promise.all(pending)
      return {ok, failures, pids}
    },
  }
}

function writeConfig(dir: string, yaml: string, file = 'tspm.yaml'): string {
  const path = join(dir, file)
  writeFileSync(path, yaml)
  return path
}

function seenBy(markDir: string): Map<number, Seen> {
  return new Map(
    readdirSync(markDir).map((file) => {
      const seen = JSON.parse(readFileSync(join(markDir, file), 'utf8')) as Seen
      return [seen.pid, seen]
    }),
  )
}

async function onlineInstances(home: TestHome, count: number): Promise<Listed[]> {
  return waitFor(
    async () => {
      const listed = (await home.list<Listed>()).filter((p) => p.status === 'online')
      return listed.length === count ? listed.sort((a, b) => a.instance - b.instance) : undefined
    },
    {what: `${count} instances online`},
  )
}

function webConfig(dir: string, port: number, extra = ''): string {
  return writeConfig(
    dir,
    `processes:\n  - name: web\n    script: ${SERVER}\n    instances: 4\n    listen: ${port}\n    ready: {notify: true, timeout: 5s}\n    env: {MARK_DIR: ${join(dir, 'marks')}}\n${extra}`,
  )
}

function setUp(t: {after: (fn: () => Promise<void>) => void}) {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  execFileSync('mkdir', ['-p', join(dir, 'marks')])
  return {home, dir, marks: join(dir, 'marks')}
}

test('4 instances answer on one port that tspm holds, each with its own LISTEN_PID; kill -9 of one restarts only it', async (t) => {
  const {home, dir, marks} = setUp(t)
  const port = await freePort()
  const started = await home.run(['start', '-c', webConfig(dir, port)])
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /web:3 is online/)

  const listed = await onlineInstances(home, 4)
  assert.deepEqual(
    listed.map((p) => [p.id, p.name, p.instance]),
    [0, 1, 2, 3].map((n) => [`web:${n}`, 'web', n]),
  )
  const pids = listed.map((p) => p.pid!)
  assert.equal(new Set(pids).size, 4)

  // What each instance was given: its own pid as LISTEN_PID, one socket named after the app.
  const seen = seenBy(marks)
  for (const [n, pid] of pids.entries()) {
    assert.deepEqual(
      {...seen.get(pid), port: undefined},
      {
        pid,
        listen_pid: String(pid),
        listen_fds: '1',
        listen_fdnames: 'web',
        instance: String(n),
        node_app_instance: String(n),
        port: undefined,
      },
    )
  }

  // Requests reach the instances (the kernel hands each connection to one of them).
  const answered = new Set<number>()
  for (let i = 0; i < 200 && answered.size < 2; i++) answered.add(await get(port))
  assert.ok(answered.size >= 2, `more than one instance answers, saw ${[...answered].join(', ')}`)
  for (const pid of answered) assert.ok(pids.includes(pid), `pid ${pid} is one of the instances`)

  // kill -9 of instance 1: it alone is restarted.
  process.kill(pids[1]!, 'SIGKILL')
  const after = await waitFor(
    async () => {
      const now = await onlineInstances(home, 4)
      return now[1]!.pid === pids[1] ? undefined : now
    },
    {what: 'web:1 back with a new pid'},
  )
  assert.deepEqual(
    after.map((p) => [p.id, p.restarts]),
    [
      ['web:0', 0],
      ['web:1', 1],
      ['web:2', 0],
      ['web:3', 0],
    ],
  )
  assert.deepEqual([after[0]!.pid, after[2]!.pid, after[3]!.pid], [pids[0], pids[2], pids[3]])

  // Commands take one instance, spelt name:N.
  const stopped = await home.run(['stop', 'web:2'])
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.equal((await home.list<Listed>()).find((p) => p.id === 'web:2')!.status, 'stopped')
  assert.equal(await get(port).then(() => true), true, 'the others still serve')
  const unknown = await home.run(['stop', 'web:7'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /web has no instance 7: it runs 4 \(web:0 to web:3\)/)

  // Each instance logs to files of its own (instance 0 to the app's usual ones).
  const logs = readdirSync(join(home.home, 'logs')).sort()
  assert.deepEqual(
    logs.filter((file) => file.startsWith('web-out')),
    ['web-out-1.log', 'web-out-2.log', 'web-out-3.log', 'web-out.log'],
  )
})

test('reload under 200 requests a second: not one fails, and every instance is new', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  const config = webConfig(dir, port)
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const before = (await onlineInstances(home, 4)).map((p) => p.pid!)

  const client = steadyClient(port)
  await waitFor(() => client.ok >= 20, {what: 'the client to be served'})
  const reload = await home.run(['reload', 'web'])
  const servedDuringReload = client.ok
  await waitFor(() => client.ok >= servedDuringReload + 20, {what: 'the client to be served after the reload'})
  const {ok, failures, pids} = await client.stop()

  assert.equal(reload.code, 0, reload.stderr)
  assert.match(reload.stdout, /reloaded web without downtime/)
  assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`)
  const after = await onlineInstances(home, 4)
  for (const [n, p] of after.entries()) {
    assert.notEqual(p.pid, before[n], `web:${n} has a new pid`)
    assert.equal(p.last_restart_reason, 'reload')
    assert.equal(p.restarts, 1)
  }

  // The client was served by old and new instances alike.
  assert.ok(before.some((pid) => pids.has(pid)))
  assert.ok(after.some((p) => pids.has(p.pid!)))
})

test('a reload whose new instance never becomes ready leaves the old ones serving and exits non-zero', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  assert.equal((await home.run(['start', '-c', webConfig(dir, port)])).code, 0)
  const before = (await onlineInstances(home, 4)).map((p) => p.pid!)

  // The edited config, applied with -c: its instances never say they are ready.
  const broken = writeConfig(
    dir,
    readFileSync(join(dir, 'tspm.yaml'), 'utf8')
      .replace('timeout: 5s', 'timeout: 1s')
      .replace('env: {', 'env: {NEVER_READY: "1", '),
    'broken.yaml',
  )
  const reload = await home.run(['reload', 'web', '-c', broken, '--json'])
  assert.equal(reload.code, 1, reload.stdout)
  const {error} = envelope(reload.stdout)
  assert.equal(error?.code, 'reload_failed')
  assert.match(error!.message, /web:0: the new instance did not become ready \(not ready within 1 s: notify/)
  assert.match(error!.message, /web:0, web:1, web:2, web:3 keep serving with the old definition/)

  const after = await onlineInstances(home, 4)
  assert.deepEqual(
    after.map((p) => p.pid),
    before,
  )
  assert.equal((await home.list<Listed>()).length, 4, 'the new instance is gone')
  assert.ok(before.includes(await get(port)))

  // Nothing rolled over, so the app keeps the definition it runs: save writes the old one.
  assert.equal((await home.run(['save'])).code, 0)
  assert.doesNotMatch(readFileSync(home.paths.dumpFile, 'utf8'), /NEVER_READY/)
})

test('scale 4 → 2 → 3: the highest instances stop first, a new one starts, and save keeps the number', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  assert.equal((await home.run(['start', '-c', webConfig(dir, port)])).code, 0)
  const four = (await onlineInstances(home, 4)).map((p) => p.pid!)

  assert.equal((await home.run(['scale', 'web', '2'])).code, 0)
  const two = await home.list<Listed>()
  assert.deepEqual(
    two.map((p) => [p.id, p.pid]),
    [
      ['web:0', four[0]],
      ['web:1', four[1]],
    ],
  )
  for (const pid of [four[2]!, four[3]!]) {
    assert.equal(spawnSync('kill', ['-0', String(pid)]).status, 1, `pid ${pid} is gone`)
  }

  const up = await home.run(['scale', 'web', '3'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /web:2 is online/, 'scale waits for the new instance, as start does')
  const three = await onlineInstances(home, 3)
  assert.deepEqual(
    three.map((p) => p.id),
    ['web:0', 'web:1', 'web:2'],
  )
  assert.ok(!four.includes(three[2]!.pid!))

  assert.equal((await home.run(['save'])).code, 0)
  const dump = JSON.parse(readFileSync(join(home.home, 'dump.json'), 'utf8')) as {processes: Array<{instances: number}>}
  assert.equal(dump.processes[0]!.instances, 3)
  const bad = await home.run(['scale', 'web:1', '2'])
  assert.equal(bad.code, 2)
  const notANumber = await home.run(['scale', 'web', 'many'])
  assert.equal(notANumber.code, 2)
  assert.match(notANumber.stderr, /expected a number of instances from 1 to 1024, got "many"/)
})

test('save, kill -9 of the supervisor and every instance, resurrect: 4 instances serve on the same port again', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  assert.equal((await home.run(['start', '-c', webConfig(dir, port)])).code, 0)
  const before = (await onlineInstances(home, 4)).map((p) => p.pid!)
  assert.equal((await home.run(['save'])).code, 0)

  const supervisor = Number(readFileSync(home.paths.pidFile, 'utf8'))
  process.kill(supervisor, 'SIGKILL')
  for (const pid of before) process.kill(pid, 'SIGKILL')
  await waitFor(() => spawnSync('kill', ['-0', String(supervisor)]).status === 1, {what: 'the supervisor to be gone'})

  // As the boot service runs it: a foreground supervisor that restores the saved list.
  home.resurrectInForeground()
  const after = await onlineInstances(home, 4)
  assert.deepEqual(
    after.map((p) => p.id),
    ['web:0', 'web:1', 'web:2', 'web:3'],
  )
  assert.ok(after.every((p) => !before.includes(p.pid!)))
  assert.ok(after.map((p) => p.pid).includes(await get(port)))
})

test('listen: several sockets (TCP and a Unix socket made 0660) reach every instance as LISTEN_FDS, with names', async (t) => {
  const {home, dir, marks} = setUp(t)
  const port = await freePort()
  const socketPath = join(dir, 'web.sock')
  const config = writeConfig(
    dir,
    `processes:\n  - name: web\n    script: ${SERVER}\n    instances: 2\n    listen: ["127.0.0.1:${port}", {address: ./web.sock, name: admin}]\n    ready: {notify: true}\n    env: {MARK_DIR: ${marks}}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  const listed = await onlineInstances(home, 2)
  const seen = seenBy(marks)
  for (const p of listed) {
    assert.equal(seen.get(p.pid!)?.listen_fds, '2')
    assert.equal(seen.get(p.pid!)?.listen_fdnames, 'web:admin')
  }

  assert.equal(statSync(socketPath).mode & 0o777, 0o660)
  assert.ok(listed.map((p) => p.pid).includes(await get(socketPath)))
  assert.ok(listed.map((p) => p.pid).includes(await get(port)))

  // Stopped, the app lets its sockets go: connections are refused, the socket file is removed.
  assert.equal((await home.run(['stop', 'web'])).code, 0)
  await assert.rejects(get(port), /ECONNREFUSED/)
  assert.throws(() => statSync(socketPath), /ENOENT/)
})

test('a Python app serves through listen (socket.socket(fileno=3), LISTEN_PID checked)', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  const config = writeConfig(
    dir,
    `processes:\n  - name: py\n    script: ${join(APPS, 'socket_server.py')}\n    interpreter: python3\n    instances: 2\n    listen: ${port}\n    ready: {log: serving}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  const listed = await onlineInstances(home, 2)
  assert.ok(listed.map((p) => p.pid).includes(await get(port)))
})

test('a port in use names its holder; a check on the shared address and a bad increment_var are config errors', async (t) => {
  const {home, dir} = setUp(t)
  const holder = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => {
    holder.once('listening', resolve)
  })
  t.after(() => holder.close())
  const {port} = holder.address() as {port: number}

  const busy = await home.run([
    'start',
    '-c',
    writeConfig(dir, `processes:\n  - name: web\n    script: ${SERVER}\n    listen: ${port}\n`),
  ])
  assert.equal(busy.code, 1)
  assert.match(busy.stderr, new RegExp(`web: cannot listen on port ${port}: in use by pid ${process.pid} \\(`))
  assert.equal((await home.list<Listed>())[0]!.status, 'errored')

  const shared = await home.run([
    'start',
    '-c',
    writeConfig(
      dir,
      `processes:\n  - name: api\n    script: ${SERVER}\n    listen: 3000\n    ready: {http: "http://127.0.0.1:3000/"}\n    increment_var: PORT\n`,
      'shared.yaml',
    ),
  ])
  assert.equal(shared.code, 2)
  assert.match(
    shared.stderr,
    /shared\.yaml:5:\d+ processes\[0\]\.ready: this check reaches port 3000, which tspm holds for every instance/,
  )
  assert.match(
    shared.stderr,
    /shared\.yaml:6:\d+ processes\[0\]\.increment_var: increment_var adds the instance number to env\.PORT, so env needs PORT set/,
  )
})

test('increment_var gives each instance its own PORT, and a ready check on that port is made on each own port', async (t) => {
  const {home, dir, marks} = setUp(t)
  const base = await freePort()
  const config = writeConfig(
    dir,
    `processes:\n  - name: api\n    script: ${join(APPS, 'http-server.js')}\n    instances: 2\n    increment_var: PORT\n    env: {PORT: ${base}, MARK_DIR: ${marks}}\n    ready: {tcp: ${base}}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  const listed = await onlineInstances(home, 2)
  assert.equal(await get(base).catch(() => 'no answer'), listed[0]!.pid)
  assert.equal(await get(base + 1).catch(() => 'no answer'), listed[1]!.pid)
})

test('reload without listen: one instance is restarted and reload says so; several are restarted in turn', async (t) => {
  const {home, dir} = setUp(t)
  const base = await freePort()
  const config = writeConfig(
    dir,
    `processes:\n  - name: solo\n    script: ${join(APPS, 'http-server.js')}\n    env: {PORT: ${base}}\n    ready: {tcp: ${base}}\n  - name: duo\n    script: ${join(APPS, 'http-server.js')}\n    instances: 2\n    increment_var: PORT\n    env: {PORT: ${base + 1}}\n    ready: {tcp: ${base + 1}}\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const before = await onlineInstances(home, 3)

  const solo = await home.run(['reload', 'solo'])
  assert.equal(solo.code, 0, solo.stderr)
  assert.match(solo.stdout, /solo was restarted: without listen it binds its port itself/)
  const duo = await home.run(['reload', 'duo'])
  assert.equal(duo.code, 0, duo.stderr)
  assert.match(duo.stdout, /reloaded duo, restarting its instances one at a time/)

  const after = await onlineInstances(home, 3)
  for (const [i, p] of after.entries()) {
    assert.equal(p.id, before[i]!.id)
    assert.notEqual(p.pid, before[i]!.pid, `${p.id} was restarted`)
  }

  assert.equal(await get(base + 2), after.find((p) => p.id === 'duo:1')!.pid)
})

test('an app written for PM2 cluster mode, listen(PORT) as it is, serves from every instance through listen', async (t) => {
  const {home, dir} = setUp(t)
  const port = await freePort()
  const config = writeConfig(
    dir,
    `processes:\n  - name: cluster\n    script: ${join(APPS, 'cluster-style.js')}\n    instances: 2\n    listen: ${port}\n    env: {PORT: ${port}}\n    ready: {log: listening}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  const listed = await onlineInstances(home, 2)
  const answered = new Set<number>()
  for (let i = 0; i < 200 && answered.size < 2; i++) answered.add(await get(port))
  assert.deepEqual([...answered].sort(), listed.map((p) => p.pid).sort(), 'both instances serve the one port')
})
