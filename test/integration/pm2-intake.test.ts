// PM2 users' files as they are: an ecosystem.config.js started with --env, the same apps as JSON
// and as YAML with `apps:`, and the checks that refuse a process that cannot run before anything
// starts. Real supervisor, real apps; what a user sees in list, the logs and the messages.
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {waitFor} from '../helpers/wait.js'

const APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'pm2-app.js')

interface Listed {
  name: string
  status: string
}

/** What the app printed first (pm2-app.js): its env, node's arguments and its own. */
async function firstLine(
  home: TestHome,
  name: string,
): Promise<{argv: string[]; env: Record<string, null | string>; execArgv: string[]}> {
  const log = join(home.paths.logsDir, `${name}-out.log`)
  const line = await waitFor(
    () => {
      try {
        return readFileSync(log, 'utf8').split('\n')[0] || undefined
      } catch {}
    },
    {what: `${name} to print its first line`},
  )
  return JSON.parse(line)
}

const ECOSYSTEM = `module.exports = {
  apps: [
    {
      name: 'api',
      script: ${JSON.stringify(APP)},
      args: '--mode api',
      node_args: '--max-old-space-size=64',
      env: {SHOW: 'GREETING,NODE_ENV', GREETING: 'hello'},
      env_production: {GREETING: 'bonjour', NODE_ENV: 'production'},
      out_file: './logs/api.log',
      time: true,
      vizion: false,
      pmx: true,
    },
    {
      name: 'jobs',
      script: ${JSON.stringify(APP)},
      autostart: false,
      instance_var: 'INSTANCE_ID',
    },
  ],
}
`

test('tspm start ecosystem.config.js --env production: env_production, node_args, autostart: false, one warning', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(join(dir, 'ecosystem.config.js'), ECOSYSTEM)
  mkdirSync(join(dir, 'logs'))
  const started = await home.run(['start', 'ecosystem.config.js', '--env', 'production'], {cwd: dir})
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /started api/)
  assert.match(started.stdout, /registered jobs, stopped \(autostart: false\)/)
  assert.equal(started.stderr.match(/Warning: /g)?.length, 1, `one warning names every ignored key: ${started.stderr}`)
  assert.match(
    started.stderr,
    /ecosystem\.config\.js: ignored PM2 keys that mean nothing to tspm: vizion \(api\), pmx \(api\), instance_var \(jobs\)/,
  )

  // out_file, with PM2's time stamp in front of each line (time: true).
  const apiLog = join(dir, 'logs', 'api.log')
  const stamped = await waitFor(
    () => (existsSync(apiLog) ? readFileSync(apiLog, 'utf8').split('\n')[0] || undefined : undefined),
    {
      what: "api's first line in its out_file",
    },
  )
  const [, stamp, line] = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d): (.*)$/.exec(stamped) ?? []
  assert.ok(stamp, `a time stamp in front of ${stamped}`)
  assert.ok(Math.abs(Date.parse(stamp!) - Date.now()) < 60_000, 'the stamp is the local time of the line')
  const api = JSON.parse(line!) as {argv: string[]; env: Record<string, string>; execArgv: string[]}
  const logs = await home.run(['logs', 'api', '--out', '-n', '1'])
  assert.equal(logs.stdout, `${stamped}\n`, 'tspm logs reads the out_file')
  assert.deepEqual(api.env, {GREETING: 'bonjour', NODE_ENV: 'production'})
  assert.deepEqual(api.execArgv, ['--max-old-space-size=64'])
  assert.deepEqual(api.argv, ['--mode', 'api'])
  const listed = await home.list<Listed>()
  assert.deepEqual(
    listed.map((p) => [p.name, p.status]),
    [
      ['api', 'online'],
      ['jobs', 'stopped'],
    ],
  )
})

test('the same apps as JSON and as YAML under apps:, and --strict refuses what PM2 has and tspm ignores', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const apps = [{name: 'j', script: APP, env: {SHOW: 'GREETING', GREETING: 'from json'}, exec_mode: 'fork'}]
  writeFileSync(join(dir, 'apps.json'), JSON.stringify({apps}, null, 2))
  const fromJson = await home.run(['start', join(dir, 'apps.json')])
  assert.equal(fromJson.code, 0, fromJson.stderr)
  assert.deepEqual((await firstLine(home, 'j')).env, {GREETING: 'from json'})

  writeFileSync(
    join(dir, 'apps.yaml'),
    `apps:\n  - name: y\n    script: ${APP}\n    env: {SHOW: GREETING, GREETING: from yaml}\n`,
  )
  const fromYaml = await home.run(['start', '-c', join(dir, 'apps.yaml')])
  assert.equal(fromYaml.code, 0, fromYaml.stderr)
  assert.deepEqual((await firstLine(home, 'y')).env, {GREETING: 'from yaml'})

  writeFileSync(join(dir, 'strict.json'), JSON.stringify({apps: [{...apps[0], name: 's'}]}, null, 2))
  const strict = await home.run(['start', join(dir, 'strict.json'), '--strict'])
  assert.equal(strict.code, 2)
  assert.match(strict.stderr, /strict\.json:10:7 apps\[0\]\.exec_mode: a PM2 key that means nothing to tspm/)
  assert.equal(
    (await home.list<Listed>()).some((p) => p.name === 's'),
    false,
    'nothing of it started',
  )
})

test('a process that cannot run is refused before anything starts, saying what to do', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(join(dir, 'hello.py'), 'print("hello")\n')
  mkdirSync(join(dir, 'app'))
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\n')
  chmodSync(join(dir, 'tool'), 0o644)
  const config = join(dir, 'tspm.yaml')
  writeFileSync(
    config,
    [
      'processes:',
      '  - name: ok',
      `    script: ${APP}`,
      '  - name: py',
      '    script: hello.py',
      '    interpreter: none',
      '  - name: nodir',
      `    script: ${APP}`,
      '    cwd: ./nowhere',
      '  - name: nointerp',
      '    script: hello.py',
      '    interpreter: python9',
      '  - name: nofile',
      '    script: ./missing.js',
      '  - name: folder',
      '    script: ./app',
      '  - name: nocommand',
      '    script: no-such-command-here',
      '  - name: nosock',
      `    script: ${APP}`,
      '    listen: ./nodir/web.sock',
      '',
    ].join('\n'),
  )
  const refused = await home.run(['start', '-c', config])
  assert.equal(refused.code, 2)
  const lines = refused.stderr
    .trim()
    .replace(/^Error: /, '')
    .split('\n')
  assert.deepEqual(lines, [
    `${config}:5:13 processes[1].script: hello.py is not executable: run chmod +x hello.py, or set interpreter: python3`,
    `${config}:9:10 processes[2].cwd: ${join(dir, 'nowhere')} does not exist; create it or fix cwd`,
    `${config}:12:18 processes[3].interpreter: python9 is not on PATH: install it, or give its full path`,
    `${config}:14:13 processes[4].script: ${join(dir, 'missing.js')} does not exist; check the path (relative paths start at cwd, ${dir})`,
    `${config}:16:13 processes[5].script: ${join(dir, 'app')} is a folder, not a script`,
    `${config}:18:13 processes[6].script: "no-such-command-here" is neither a file in ${dir} nor a command on PATH`,
    `${config}:21:13 processes[7].listen: ${join(dir, 'nodir')} does not exist; create it, or put the socket elsewhere`,
  ])
  assert.equal((await home.list<Listed>().catch(() => [])).length, 0, 'nothing started, not even ok')

  const script = await home.run(['start', join(dir, 'tool')])
  assert.equal(script.code, 2)
  assert.match(
    script.stderr,
    /tool is not executable: run chmod \+x \S+\/tool, or name the program that runs it \(interpreter: in a config, --interpreter for a script\)/,
  )
})

test('an edited config is applied: only the changed app restarts, a new one starts, and restart says how', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = join(dir, 'tspm.yaml')
  const write = (greeting: string, extra = '') =>
    writeFileSync(
      config,
      `processes:\n  - name: a\n    script: ${APP}\n    env: {SHOW: GREETING, GREETING: ${greeting}}\n  - name: b\n    script: ${APP}\n${extra}`,
    )
  write('hello')
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const pids = async () => new Map((await home.list<Listed & {pid: number}>()).map((p) => [p.name, p.pid]))
  const before = await pids()

  // Edited, not applied yet: restart keeps the running definition and says how to apply the file.
  write('bonjour', `  - name: c\n    script: ${APP}\n`)
  const restarted = await home.run(['restart', 'a'])
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.match(
    restarted.stderr,
    new RegExp(
      `a: ${config} has changed since it started \\(env\\.GREETING\\); restart keeps the running definition, \`tspm start -c ${config}\` applies the file`,
    ),
  )
  const restartedPid = (await pids()).get('a')

  const applied = await home.run(['start', '-c', config])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stdout, /a: env\.GREETING changed, restarted/)
  assert.match(applied.stdout, /b is already running, unchanged/)
  assert.match(applied.stdout, /started c/)
  const after = await pids()
  assert.notEqual(after.get('a'), restartedPid, 'a runs the new definition')
  assert.equal(after.get('b'), before.get('b'), 'b kept its pid')
  await waitFor(() => readFileSync(join(home.paths.logsDir, 'a-out.log'), 'utf8').includes('"GREETING":"bonjour"'), {
    what: 'a to run with the new env',
  })

  // A script of another definition never replaces one silently; a known name starts as defined.
  writeFileSync(join(dir, 'other.js'), '')
  const taken = await home.run(['start', join(dir, 'other.js'), '--name', 'b'])
  assert.equal(taken.code, 2)
  assert.match(
    taken.stderr,
    /b already exists with another definition \(from .*tspm\.yaml\): script, cwd differ; `tspm delete b` first, or give another --name/,
  )
  assert.equal((await home.run(['stop', 'b', 'c'])).code, 0, 'several names in one command')
  const again = await home.run(['start', 'b'], {cwd: dir})
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /started b\n/)
  const listed = await home.list<Listed>()
  assert.deepEqual(
    listed.map((p) => [p.name, p.status]),
    [
      ['a', 'online'],
      ['b', 'online'],
      ['c', 'stopped'],
    ],
  )
  const typo = await home.run(['stop', 'a', 'cc'])
  assert.equal(typo.code, 1)
  assert.match(typo.stderr, /no process named "cc"; known: a, b, c; nothing was stopped/)
  assert.equal((await home.list<Listed>())[0]!.status, 'online', 'a typo stops nothing')
})

test('numbers as PM2 users type them: `tspm stop 1`, one instance by its number, the same numbers after a resurrect', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  const config = join(dir, 'tspm.yaml')
  writeFileSync(
    config,
    `processes:\n  - name: a\n    script: ${APP}\n  - name: b\n    script: ${APP}\n  - name: web\n    script: ${APP}\n    instances: 2\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  type Numbered = Listed & {id: string; number: number; pid: number}
  const before = await home.list<Numbered>()
  assert.deepEqual(
    before.map((p) => [p.number, p.id]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'web:0'],
      [3, 'web:1'],
    ],
  )
  const table = await home.run(['list'])
  assert.match(table.stdout, /^id {2}name/)
  assert.match(table.stdout, /\n {1}3 {2}web:1 /)

  assert.equal((await home.run(['stop', '1'])).code, 0)
  const restarted = await home.run(['restart', '3'])
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.match(restarted.stdout, /restarted web:1/)
  const after = await home.list<Numbered>()
  assert.equal(after.find((p) => p.id === 'b')!.status, 'stopped')
  assert.equal(after.find((p) => p.id === 'web:0')!.pid, before[2]!.pid, 'web:0 was left alone')
  assert.notEqual(after.find((p) => p.id === 'web:1')!.pid, before[3]!.pid)

  // Kept by save: after the supervisor is gone and the list resurrected, the same numbers.
  assert.equal((await home.run(['save'])).code, 0)
  assert.equal((await home.run(['kill'])).code, 0)
  home.resurrectInForeground()
  const resurrected = await waitFor(
    async () => {
      const listed = await home.list<Numbered>().catch(() => [])
      return listed.filter((p) => p.status === 'online').length === 3 ? listed : undefined
    },
    {what: 'the saved list back'},
  )
  assert.deepEqual(
    resurrected.map((p) => [p.number, p.id, p.status]),
    [
      [0, 'a', 'online'],
      [1, 'b', 'stopped'],
      [2, 'web:0', 'online'],
      [3, 'web:1', 'online'],
    ],
  )
})

test('`tspm show` (PM2: show, info; tspm describe): the definition, the state, the log files, never env_file values', async (t) => {
  const home = TestHome.forTest(t)
  const dir = tempDir()
  writeFileSync(join(dir, 'secret.env'), 'API_TOKEN=never-shown-value\n')
  const config = join(dir, 'tspm.yaml')
  writeFileSync(
    config,
    `processes:\n  - name: api\n    script: ${APP}\n    args: [--port, "8080"]\n    env: {GREETING: hello}\n    env_file: secret.env\n`,
  )
  assert.equal((await home.run(['start', '-c', config])).code, 0)
  const shown = await home.run(['show', 'api'])
  assert.equal(shown.code, 0, shown.stderr)
  const field = (key: string) => new RegExp(`^${key} +(.*)$`, 'm').exec(shown.stdout)?.[1]
  assert.equal(field('script'), APP)
  assert.equal(field('args'), '["--port","8080"]')
  assert.equal(field('config'), config)
  assert.equal(field('env GREETING'), 'hello')
  assert.equal(field('env_file'), join(dir, 'secret.env'))
  assert.equal(field('status'), 'online')
  assert.match(field('pid') ?? '', /^\d+$/)
  assert.equal(field('out log'), join(home.paths.logsDir, 'api-out.log'))
  assert.doesNotMatch(shown.stdout, /never-shown-value/)

  for (const alias of ['describe', 'info']) {
    const same = await home.run([alias, 'api', '--json'])
    assert.equal(same.code, 0, same.stderr)
    const {result} = JSON.parse(same.stdout) as {result: {instances: Array<{status: string}>; spec: {name: string}}}
    assert.deepEqual([result.spec.name, result.instances[0]!.status], ['api', 'online'])
    assert.doesNotMatch(same.stdout, /never-shown-value/)
  }

  const unknown = await home.run(['show', 'nope'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /no process named "nope"; known: api/)
})
