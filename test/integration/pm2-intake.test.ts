// PM2 users' files as they are: an ecosystem.config.js started with --env, the same apps as JSON
// and as YAML with `apps:`, and the checks that refuse a process that cannot run before anything
// starts. Real supervisor, real apps; what a user sees in list, the logs and the messages.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
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
  const started = await home.run(['start', 'ecosystem.config.js', '--env', 'production'], {cwd: dir})
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /started api/)
  assert.match(started.stdout, /registered jobs, stopped \(autostart: false\)/)
  assert.equal(started.stderr.match(/Warning: /g)?.length, 1, `one warning names every ignored key: ${started.stderr}`)
  assert.match(
    started.stderr,
    /ecosystem\.config\.js: ignored PM2 keys that mean nothing to tspm: vizion \(api\), pmx \(api\), instance_var \(jobs\)/,
  )

  const api = await firstLine(home, 'api')
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
  ])
  assert.equal((await home.list<Listed>().catch(() => [])).length, 0, 'nothing started, not even ok')

  const script = await home.run(['start', join(dir, 'tool')])
  assert.equal(script.code, 2)
  assert.match(
    script.stderr,
    /tool is not executable: run chmod \+x \S+\/tool, or name the program that runs it \(interpreter: in a config, --interpreter for a script\)/,
  )
})
