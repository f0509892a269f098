// Prometheus metrics: GET /v1/metrics on the control socket of a real supervisor with real apps,
// checked by Prometheus's own promtool, and the opt-in TCP listener of a config's `metrics:`,
// through save, kill and resurrect.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {freePort, portIsOpen} from '../helpers/net.js'
import {request} from '../helpers/unix-http.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')
const IDLE = join(APPS, 'idle.js')
const PROMTOOL_AVAILABLE = spawnSync('promtool', ['--version']).error === undefined

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Listed {
  id: string
  pid: null | number
  started_at: null | number
  status: string
}

/** The samples of a text exposition (the lines that are not comments). */
function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      assert.ok(match, `not a sample line: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!
      return {name: match[1]!, labels, value: Number(match[3])}
    })
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )
  assert.ok(found.length <= 1, `more than one ${name} sample with ${JSON.stringify(labels)}`)
  return found[0]?.value
}

async function controlMetrics(home: TestHome): Promise<{contentType: string; samples: Sample[]; text: string}> {
  const response = await request(home.paths.socket, 'GET', '/v1/metrics')
  assert.equal(response.status, 200, response.body)
  return {contentType: response.headers['content-type']!, samples: parseSamples(response.body), text: response.body}
}

function writeConfig(dir: string, file: string, text: string): string {
  const path = join(dir, file)
  writeFileSync(path, text)
  return path
}

/** The TCP ports a process listens on, and on which address (IPv4 as /proc/net/tcp spells it: 0100007F is 127.0.0.1). */
function listeningPorts(pid: number): Array<{address: string; port: number}> {
  const byInode = new Map<string, {address: string; port: number}>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields[3] !== '0A') continue // LISTEN
      const [address, port] = fields[1]!.split(':')
      byInode.set(fields[9]!, {address: address!, port: Number.parseInt(port!, 16)})
    }
  }

  const found: Array<{address: string; port: number}> = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = ''
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`)
    } catch {
      continue
    }

    const listening = byInode.get(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '')
    if (listening) found.push(listening)
  }

  return found
}

function supervisorPid(home: TestHome): number {
  return Number(readFileSync(home.paths.pidFile, 'utf8'))
}

async function holdPort(port: number): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return server
}

test('GET /v1/metrics: each process and instance with up, ready, restarts by reason, CPU of its group, memory; promtool accepts it', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(
    dir,
    'tspm.yaml',
    `processes:
  - name: web
    script: ${IDLE}
    instances: 2
  - name: solo
    script: ${IDLE}
    health: {exec: [${process.execPath}, -e, ""], interval: 1s}
  - name: parent
    script: ${join(APPS, 'busy-child.js')}
    env: {CHILD_CPU_MS: 400}
`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  assert.doesNotMatch(started.stdout, /metrics on/, 'no listener without metrics: in the config')
  const parentLog = join(home.paths.logsDir, 'parent-out.log')
  await waitFor(() => readFileSync(parentLog, 'utf8').includes('child done'), {what: 'the child of parent to be done'})

  const first = await waitFor(
    async () => {
      const scraped = await controlMetrics(home)
      return valueOf(scraped.samples, 'tspm_process_health_consecutive_failures', {id: 'solo'}) === 0 && scraped
    },
    {what: 'the first health check of solo to show in the metrics'},
  )
  assert.equal(first.contentType, 'text/plain; version=0.0.4; charset=utf-8')
  const listed = await home.list<Listed>()
  for (const [id, name, instance] of [
    ['web:0', 'web', '0'],
    ['web:1', 'web', '1'],
    ['solo', 'solo', '0'],
    ['parent', 'parent', '0'],
  ] as const) {
    const labels = {name, app_instance: instance, id}
    assert.equal(valueOf(first.samples, 'tspm_process_up', labels), 1, id)
    assert.equal(valueOf(first.samples, 'tspm_process_ready', labels), 1, id)
    for (const reason of ['crash', 'health', 'manual', 'reload', 'memory', 'cron', 'watch'])
      assert.equal(valueOf(first.samples, 'tspm_process_restarts_total', {...labels, reason}), 0, `${id} ${reason}`)
    const entry = listed.find((p) => p.id === id)!
    assert.equal(valueOf(first.samples, 'tspm_process_start_time_seconds', labels), entry.started_at! / 1000)
    assert.ok(valueOf(first.samples, 'tspm_process_resident_memory_bytes', labels)! > 1024 * 1024, id)
  }

  // parent waits; its child did the work, and the metric counts the group's CPU.
  const parent = listed.find((p) => p.id === 'parent')!
  const statText = readFileSync(`/proc/${parent.pid}/stat`, 'utf8')
  // After the command name: field 3 (state) first, so utime (14) and stime (15) are 11 and 12.
  const stat = statText.slice(statText.lastIndexOf(')') + 2).split(' ')
  const parentOwnSeconds = (Number(stat[11]) + Number(stat[12])) / 100
  const groupSeconds = valueOf(first.samples, 'tspm_process_cpu_seconds_total', {id: 'parent'})!
  assert.ok(
    // /proc counts in ticks of 10 ms, rounded down.
    groupSeconds >= parentOwnSeconds + 0.35,
    `the group's ${groupSeconds} s count the child's 0.4 s besides the parent's own ${parentOwnSeconds} s`,
  )
  assert.equal(valueOf(first.samples, 'tspm_supervisor_processes', {}), 4)
  assert.equal(valueOf(first.samples, 'tspm_supervisor_info', {version: '0.1.0'}), 1)

  assert.equal((await home.run(['restart', 'web:1'])).code, 0)
  assert.equal((await home.run(['stop', 'solo'])).code, 0)
  const after = await controlMetrics(home)
  assert.equal(valueOf(after.samples, 'tspm_process_restarts_total', {id: 'web:1', reason: 'manual'}), 1)
  assert.equal(valueOf(after.samples, 'tspm_process_restarts_total', {id: 'web:0', reason: 'manual'}), 0)
  assert.equal(valueOf(after.samples, 'tspm_process_up', {id: 'solo'}), 0)
  assert.equal(valueOf(after.samples, 'tspm_process_ready', {id: 'solo'}), 0)
  assert.equal(valueOf(after.samples, 'tspm_process_cpu_seconds_total', {id: 'solo'}), undefined, 'no CPU of no run')
  assert.equal(valueOf(after.samples, 'tspm_process_up', {id: 'web:1'}), 1)

  await t.test('promtool check metrics finds nothing to say', (st) => {
    if (!needs(st, PROMTOOL_AVAILABLE, 'promtool is not installed (Debian: apt-get install prometheus)')) return
    for (const text of [first.text, after.text]) {
      const checked = spawnSync('promtool', ['check', 'metrics'], {input: text, encoding: 'utf8'})
      assert.equal(checked.status, 0, checked.stdout + checked.stderr)
      assert.equal(checked.stdout + checked.stderr, '')
    }
  })
})

test('metrics.listen: GET /metrics on 127.0.0.1 only, 404 for anything else; saved, and open again after kill and resurrect', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const port = await freePort()
  const config = writeConfig(
    dir,
    'tspm.yaml',
    `metrics:\n  listen: ${port}\nprocesses:\n  - name: web\n    script: ${IDLE}\n`,
  )
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, new RegExp(`metrics on http://127\\.0\\.0\\.1:${port}/metrics`))
  assert.deepEqual(listeningPorts(supervisorPid(home)), [{address: '0100007F', port}], 'loopback, as no host was given')

  const scrape = await fetch(`http://127.0.0.1:${port}/metrics`)
  assert.equal(scrape.status, 200)
  assert.equal(scrape.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const samples = parseSamples(await scrape.text())
  assert.equal(valueOf(samples, 'tspm_process_up', {id: 'web'}), 1)
  for (const [method, path] of [
    ['GET', '/v1/health'],
    ['GET', '/v1/processes'],
    ['POST', '/v1/shutdown'],
    ['GET', '/'],
    ['POST', '/metrics'],
  ]) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {method})
    assert.equal(response.status, 404, `${method} ${path}`)
    assert.doesNotMatch(await response.text(), /"pid"|"processes"/)
  }

  assert.equal((await home.list<Listed>()).length, 1, 'the POST to /v1/shutdown over TCP did nothing')
  assert.equal((await home.run(['save'])).code, 0)
  const dump = JSON.parse(readFileSync(home.paths.dumpFile, 'utf8')) as {metrics?: unknown}
  assert.deepEqual(dump.metrics, {listen: {host: '127.0.0.1', port}})

  assert.equal((await home.run(['kill'])).code, 0)
  assert.equal(await portIsOpen(port), false, 'the listener goes with its supervisor')
  const resurrect = home.resurrectInForeground()
  const back = await waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`)
      const text = await response.text()
      return valueOf(parseSamples(text), 'tspm_process_ready', {id: 'web'}) === 1 && text
    },
    {what: 'the resurrected supervisor to serve the metrics of web, online, on the saved port'},
  )
  assert.match(back, /tspm_supervisor_info\{version="0\.1\.0"\} 1/)
  assert.match(resurrect.output(), new RegExp(`metrics on http://127\\.0\\.0\\.1:${port}/metrics`))
  resurrect.child.kill('SIGTERM')
  assert.equal(await resurrect.exited, 0, resurrect.output())
  assert.equal(await portIsOpen(port), false)
})

test('without metrics: no TCP listener; save writes none; the control socket serves the metrics all the same', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = writeConfig(dir, 'tspm.yaml', `processes:\n  - name: web\n    script: ${IDLE}\n`)
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  assert.deepEqual(listeningPorts(supervisorPid(home)), [])
  const health = await request(home.paths.socket, 'GET', '/v1/health')
  assert.equal((JSON.parse(health.body) as {metrics: unknown}).metrics, null)
  assert.equal(valueOf((await controlMetrics(home)).samples, 'tspm_process_up', {id: 'web'}), 1)
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal('metrics' in JSON.parse(readFileSync(home.paths.dumpFile, 'utf8')), false)
})

test('the last start wins: another config moves the listener, metrics: false closes it', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const [first, second] = [await freePort(), await freePort()]
  const app = (name: string) => `processes:\n  - name: ${name}\n    script: ${IDLE}\n`
  const a = writeConfig(dir, 'a.yaml', `metrics: {listen: "127.0.0.1:${first}"}\n${app('a')}`)
  const b = writeConfig(dir, 'b.yaml', `metrics: {listen: ${second}}\n${app('b')}`)
  const off = writeConfig(dir, 'off.yaml', `metrics: false\n${app('b')}`)
  assert.equal((await home.run(['start', '-c', a])).code, 0)
  assert.deepEqual(listeningPorts(supervisorPid(home)), [{address: '0100007F', port: first}])
  const moved = await home.run(['start', '-c', b])
  assert.equal(moved.code, 0, moved.stderr)
  assert.match(moved.stdout, new RegExp(`metrics on http://127\\.0\\.0\\.1:${second}/metrics`))
  assert.deepEqual(listeningPorts(supervisorPid(home)), [{address: '0100007F', port: second}])
  // Nothing of off.yaml is new (b runs, unchanged): its metrics: false applies all the same.
  const closed = await home.run(['start', '-c', off])
  assert.equal(closed.code, 0, closed.stderr)
  assert.match(closed.stdout, /no metrics listener \(metrics: false\)/)
  assert.deepEqual(listeningPorts(supervisorPid(home)), [])
})

test('metrics.listen on a port in use: an error naming the holder, and nothing starts; at resurrect, a warning and the apps start', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const port = await freePort()
  const config = writeConfig(
    dir,
    'tspm.yaml',
    `metrics: {listen: "127.0.0.1:${port}"}\nprocesses:\n  - name: web\n    script: ${IDLE}\n`,
  )
  const holder = await holdPort(port)
  t.after(() => holder.close())
  const refused = await home.run(['start', '-c', config])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    new RegExp(
      `^Error: cannot serve metrics on 127\\.0\\.0\\.1:${port} \\(metrics\\.listen\\): in use by pid ${process.pid} \\(.+\\); choose another port, or leave metrics out$`,
      'm',
    ),
  )
  assert.equal((await home.run(['list'])).code, 3, 'nothing started, and the supervisor started for it is gone')

  // Saved while the port was free, taken by the time of the boot: the apps come back regardless.
  await new Promise((resolve) => {
    holder.close(resolve)
  })
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['kill'])).code, 0)
  const again = await holdPort(port)
  t.after(() => again.close())
  const resurrect = home.resurrectInForeground()
  await waitFor(async () => (await home.list<Listed>()).find((p) => p.id === 'web')?.status === 'online', {
    what: 'web to be online after the resurrect',
  })
  await waitFor(() => resurrect.output().includes(`cannot serve metrics on 127.0.0.1:${port}`), {
    what: 'the warning about the metrics port',
  })
  assert.match(resurrect.output(), /in use by pid \d+ .*; the saved processes start without it/)
  resurrect.child.kill('SIGTERM')
  assert.equal(await resurrect.exited, 0, resurrect.output())
})

test('bad metrics: values are refused when the config is read, each with its place, and nothing starts', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const app = `processes:\n  - name: web\n    script: ${IDLE}\n`
  for (const [value, message] of [
    ['{listen: "localhost:9615"}', '1:19 metrics.listen: expected an IP address as the host'],
    ['{listen: 70000}', '1:19 metrics.listen: expected a port, or "host:port" with an IP address'],
    [
      '{listen: "::1:9615"}',
      '1:19 metrics.listen: expected a port, or "host:port" with an IP address ("[::1]:port" for IPv6',
    ],
    ['{}', '1:10 metrics: missing "listen"'],
    ['{listen: 9615, port: 1}', '1:31 metrics.port: unknown key; expected listen'],
    ['true', '1:10 metrics: expected a map {listen: PORT or "host:port"}, or false, got true'],
  ]) {
    const config = writeConfig(dir, 'tspm.yaml', `metrics: ${value}\n${app}`)
    const result = await home.run(['start', '-c', config])
    assert.equal(result.code, 2, `${value}: ${result.stderr}`)
    assert.ok(result.stderr.startsWith(`Error: ${config}:${message}`), `${value}: ${result.stderr}`)
  }

  assert.equal((await home.run(['list'])).code, 3, 'no supervisor was left running')
})
