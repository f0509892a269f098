// `tspm import pm2` from a dump that the real PM2 of the dev dependencies wrote: the generated
// tspm.yaml starts the same set, no variable of the shell is copied, a secret lives only in the
// 0600 env_file (never in the yaml, never in tspm's dump.json).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {test} from 'node:test'

import {parseDotenv} from '../../src/config/dotenv.js'
import {REPO_ROOT, tempDir, TestHome} from '../helpers/cli.js'
import {freePort} from '../helpers/net.js'

const PM2 = join(dirname(createRequire(import.meta.url).resolve('pm2/package.json')), 'bin', 'pm2')
const IDLE = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'idle.js')
const SECRET = 'imported-s3cret-token'

interface Listed {
  id: string
  name: string
  status: string
}

test('import pm2 from a real dump: cluster instances folded, stopped app kept stopped, secrets only in the env_file', async (t) => {
  const pm2Home = tempDir('pm2-home-')
  const port = await freePort()
  const apps = tempDir('pm2-apps-')
  copyFileSync(IDLE, join(apps, 'idle.js'))
  writeFileSync(
    join(apps, 'ecosystem.config.js'),
    `module.exports = {apps: [
  {name: 'web', script: './idle.js', exec_mode: 'cluster', instances: 2, env: {PORT: ${port}}},
  {name: 'api', script: './idle.js', args: '--mode api', node_args: '--max-old-space-size=64', env: {API_TOKEN: '${SECRET}', GREETING: 'hi there'}},
  {name: 'jobs', script: './idle.js'},
]}\n`,
  )
  const env = {...process.env, PM2_HOME: pm2Home}
  const pm2 = (...args: string[]) => {
    const result = spawnSync(process.execPath, [PM2, ...args], {cwd: apps, env, encoding: 'utf8', timeout: 60_000})
    assert.equal(result.status, 0, `pm2 ${args.join(' ')}: ${result.stderr}`)
  }

  t.after(() => spawnSync(process.execPath, [PM2, 'kill'], {env, timeout: 30_000}))
  pm2('start', 'ecosystem.config.js')
  pm2('stop', 'jobs')
  pm2('save')
  pm2('kill')

  const home = TestHome.forTest(t)
  const out = tempDir('tspm-import-')
  const config = join(out, 'tspm.yaml')
  const imported = await home.run(['import', 'pm2', join(pm2Home, 'dump.pm2'), '-o', config])
  assert.equal(imported.code, 0, imported.stderr)
  assert.match(imported.stdout, new RegExp(`wrote ${config}: web, api, jobs`))
  assert.doesNotMatch(imported.stderr, /cluster mode/, 'its env says the port: it becomes listen:')
  assert.match(imported.stderr, /web, api, jobs: left out \d+ variables of the shell that ran pm2 start \(/)
  assert.equal(imported.stderr.match(/left out/g)?.length, 1, 'one line for the variables of one shell')

  const yaml = readFileSync(config, 'utf8')
  assert.doesNotMatch(yaml, new RegExp(SECRET), 'no secret in the yaml')
  assert.doesNotMatch(yaml, /out_file|error_file/, "PM2's own log places are not carried: tspm keeps its own")
  assert.match(yaml, /name: web\n(?:.*\n)*? {4}instances: 2/)
  assert.match(yaml, new RegExp(`name: web\\n(?:.*\\n)*? {4}listen: ${port}`))
  assert.match(yaml, /name: jobs\n(?:.*\n)*? {4}autostart: false/)
  assert.match(yaml, /interpreter_args:\n\s+- --max-old-space-size=64/)

  // The app's own variables, and nothing of the shell that ran pm2 start.
  const apiEnv = join(out, 'api.env')
  assert.equal(statSync(apiEnv).mode & 0o777, 0o600)
  assert.deepEqual(parseDotenv(readFileSync(apiEnv, 'utf8')), {API_TOKEN: SECRET, GREETING: 'hi there'})
  assert.deepEqual(parseDotenv(readFileSync(join(out, 'web.env'), 'utf8')), {PORT: String(port)})

  // The yaml starts the same set; saved, the secret stays out of dump.json.
  const started = await home.run(['start', '-c', config])
  assert.equal(started.code, 0, started.stderr)
  const listed = await home.list<Listed>()
  assert.deepEqual(
    listed.map((p) => [p.id, p.status]),
    [
      ['web:0', 'online'],
      ['web:1', 'online'],
      ['api', 'online'],
      ['jobs', 'stopped'],
    ],
  )
  assert.equal((await home.run(['save'])).code, 0)
  assert.doesNotMatch(readFileSync(home.paths.dumpFile, 'utf8'), new RegExp(SECRET))

  // An output folder that is not there is said, and nothing is written.
  const nowhere = await home.run(['import', 'pm2', join(pm2Home, 'dump.pm2'), '-o', join(out, 'no', 'tspm.yaml')])
  assert.equal(nowhere.code, 2)
  assert.match(nowhere.stderr, /no is not a folder; create it, or give -o a path in an existing folder/)

  // Run again, it leaves what it wrote alone unless --force.
  const again = await home.run(['import', 'pm2', join(pm2Home, 'dump.pm2'), '-o', config])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /exist; nothing was written \(--force replaces\)/)
})
