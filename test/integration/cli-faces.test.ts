// The one error and output path: every command answers --json with the same envelope and exit
// codes, and the fast path of bin/run.js prints exactly what oclif prints.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {pathToFileURL} from 'node:url'

import {BIN, envelope, REPO_ROOT, runCli, runProgram, tempDir, TestHome} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {waitFor} from '../helpers/wait.js'

const APPS = join(REPO_ROOT, 'test', 'fixtures', 'apps')

interface ManifestCommand {
  args: Record<string, {required?: boolean}>
  flags: Record<string, unknown>
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>
}

test('every command with --json reports a TSPM_HOME that is a file as JSON: status 2, code bad_home', async () => {
  const notAFolder = join(tempDir(), 'home-is-a-file')
  writeFileSync(notAFolder, '')
  const withJson = Object.entries(manifest.commands).filter(([, command]) => 'json' in command.flags)
  assert.ok(withJson.length >= 8, `found the commands with --json (${withJson.map(([id]) => id).join(', ')})`)
  for (const [id, command] of withJson) {
    const args = Object.entries(command.args).flatMap(([, arg]) => (arg.required ? ['web'] : []))
    const result = await runCli([...id.split(':'), ...args, '--json'], {env: {TSPM_HOME: notAFolder}})
    assert.equal(result.code, 2, `${id}: exit code (stderr: ${result.stderr})`)
    const answer = envelope(result.stdout)
    assert.equal(answer.status, 2, `${id}: status`)
    assert.equal(answer.error?.code, 'bad_home', `${id}: error code`)
    assert.match(answer.error!.message, /is not a directory/, id)
    assert.deepEqual(answer.warnings, [], id)
  }
})

test('without --json, the same bad home is one `Error:` line on stderr and exit 2', async () => {
  const notAFolder = join(tempDir(), 'home-is-a-file')
  writeFileSync(notAFolder, '')
  const result = await runCli(['kill'], {env: {TSPM_HOME: notAFolder}})
  assert.equal(result.code, 2)
  assert.equal(result.stdout, '')
  assert.equal(
    result.stderr,
    `Error: TSPM_HOME=${notAFolder} is not a directory; point TSPM_HOME at a folder (or unset it for ~/.tspm)\n`,
  )
})

/** The same command line through oclif alone, bypassing bin/run.js and its fast path. */
function runThroughOclif(args: string[], home: string) {
  const script = `import {execute} from '@oclif/core'\nawait execute({dir: ${JSON.stringify(pathToFileURL(BIN).href)}, args: ${JSON.stringify(args)}})`
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: home, NO_COLOR: '1'}
  delete env.NODE_EXTRA_CA_CERTS
  return runProgram(process.execPath, ['--input-type=module', '-e', script], {cwd: REPO_ROOT, env})
}

test('every command of the fast path prints the same bytes and exit code as through oclif', async (t) => {
  const badHome = join(tempDir(), 'not-a-folder')
  writeFileSync(badHome, '')
  const idle = TestHome.forTest(t)
  const running = TestHome.forTest(t)
  assert.equal((await running.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  // A stopped process: nothing in its row moves between two lists (no cpu, no uptime).
  assert.equal((await running.run(['stop', 'idle'])).code, 0)
  // And one that has written lines to both streams, for logs: stopped once it is done, so its files stay as they are.
  const config = join(tempDir(), 'tspm.yaml')
  writeFileSync(
    config,
    `processes:\n  - name: counter\n    script: ${join(APPS, 'counter.js')}\n    env: {LINES: 30}\n`,
  )
  assert.equal((await running.run(['start', '-c', config])).code, 0)
  await waitFor(() => readFileSync(join(running.paths.logsDir, 'counter-err.log'), 'utf8').includes('done'), {
    what: 'counter to write its lines',
  })
  assert.equal((await running.run(['stop', 'counter'])).code, 0)

  for (const [state, home] of [
    ['a TSPM_HOME that is a file', badHome],
    ['no supervisor', idle.home],
    ['a running supervisor', running.home],
  ] as const) {
    for (const args of [
      ['ls'],
      ['list'],
      ['list', '--json'],
      ['save'],
      ['save', '--json'],
      ['save', '--force', '--json'],
      ['--version'],
      ['logs'],
      ['logs', 'counter'],
      ['logs', 'counter', 'idle', '-n', '3', '--timestamp'],
      ['logs', '--lines=2', '--json'],
      ['logs', 'counter', '--out', '-n', '5'],
      ['logs', 'counter', '--err', '--json'],
      ['logs', 'nope', 'counter:3'],
      // Both are stopped already: stopping them again changes nothing the next command sees.
      ['stop', 'idle'],
      ['stop', 'idle', 'counter', '--json'],
      ['stop', 'nope'],
      ['restart', 'nope', '--no-wait'],
      ['restart', 'idle:1', '--json'],
      ['delete', 'nope', '--json'],
      ['rm', 'nope'],
      ['reload', 'nope'],
      ['reload', 'nope', '--json'],
    ]) {
      const fast = await runCli(args, {env: {TSPM_HOME: home}})
      const oclif = await runThroughOclif(args, home)
      const what = `${args.join(' ')} with ${state}`
      assert.deepEqual({code: fast.code, stdout: fast.stdout, stderr: fast.stderr}, oclif, what)
      // The lines themselves, not only an error both ways.
      if (state === 'a running supervisor' && args[0] === 'logs' && !args.includes('nope'))
        assert.match(fast.stdout, /line 30|done/, what)
    }
  }
})

test('a mistyped command on a terminal: `tspm strat` asks "Did you mean start?"; piped, the typed words stay apart', async (t) => {
  const tmux = spawnSync('tmux', ['-V'])
  if (!needs(t, tmux.status === 0, 'tmux runs the CLI on a real terminal')) return
  const home = new TestHome()
  t.after(() => home.cleanup())
  const session = `tspm-not-found-${process.pid}`
  const env = `TSPM_HOME=${home.home} NO_COLOR=1`
  // tmux runs this through a shell of its own: the words are fixed, only the paths vary (no spaces in them).
  spawnSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '20',
    `env ${env} ${process.execPath} ${BIN} strat; sleep 30`,
  ])
  t.after(() => spawnSync('tmux', ['kill-session', '-t', session]))
  const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'}).stdout
  await waitFor(() => screen().includes('Did you mean start? (Y/n)'), {what: 'the question on the terminal'})
  assert.match(screen(), /strat is not a tspm command/)
  spawnSync('tmux', ['send-keys', '-t', session, 'n', 'Enter'])
  await waitFor(() => screen().includes('Run tspm help for a list of available commands.'), {
    what: 'the answer to "no"',
  })
})

test("PM2's `jlist` is `tspm list --json`", async (t) => {
  const home = TestHome.forTest(t)
  assert.equal((await home.run(['start', join(APPS, 'idle.js'), '--name', 'idle'])).code, 0)
  const jlist = await home.run(['jlist'])
  assert.equal(jlist.code, 0, jlist.stderr)
  const listed = envelope<Array<{name: string; status: string}>>(jlist.stdout)
  assert.deepEqual(
    listed.result.map((p) => [p.name, p.status]),
    [['idle', 'online']],
  )
})
