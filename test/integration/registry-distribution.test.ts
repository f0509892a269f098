// The distribution as users get it: the core and its bundled systemd plugin are packed from the
// built tree and published to a local registry that serves tspm's own packages itself and passes
// every other package through to the registry this machine's npm uses; then `npm install -g tspm-cli`
// into a temp prefix, and the installed copy is used as a user would.
import assert from 'node:assert/strict'
import {cpSync, existsSync, lstatSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {SUPERVISOR_NODE_FLAGS} from '../../src/model/supervisor-runtime.js'
import {jsonResult, REPO_ROOT, runProgram, tempDir, TestHome} from '../helpers/cli.js'
import {freePort} from '../helpers/net.js'
import {isRunning} from '../helpers/procfs.js'
import {oclifDirsEnv, startRegistry} from '../helpers/registry.js'
import {waitFor} from '../helpers/wait.js'

interface Listed {
  name: string
  pid: null | number
  status: string
}

test(
  'npm install -g tspm-cli from a registry: --version, --help, startup systemd --print, and the example starts, lists and stops',
  {timeout: 300_000},
  async (t) => {
    const corePackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string}
    const registry = await startRegistry({uplink: true})
    t.after(() => registry.stop())
    const root = tempDir('tspm-distribution-')
    t.after(() => rmSync(root, {recursive: true, force: true}))

    await registry.publish(join(REPO_ROOT, 'plugins', 'plugin-systemd'))
    await registry.publish(REPO_ROOT)

    // With a private npm cache: every package comes through the local registry (about 20 s).
    const prefix = join(root, 'prefix')
    const install = await runProgram('npm', ['install', '--global', '--prefix', prefix, 'tspm-cli'], {
      cwd: root,
      env: registry.npmEnv(),
      timeoutMs: 240_000,
    })
    assert.equal(install.code, 0, `npm install -g tspm-cli failed:\n${install.stdout}${install.stderr}`)

    // Everything came through the local registry: tspm's packages from it, the others via its uplink.
    const storage = join(registry.dir, 'storage')
    for (const name of ['tspm-cli', 'tspm-systemd', '@oclif/core', 'yaml']) {
      assert.ok(existsSync(join(storage, name, 'package.json')), `the local registry never served ${name}`)
    }

    const installed = join(prefix, 'lib', 'node_modules', 'tspm-cli')
    // Copies from the registry, not links into this tree.
    assert.equal(lstatSync(installed).isSymbolicLink(), false)
    const systemdPlugin = join(installed, 'node_modules', 'tspm-systemd')
    assert.equal(lstatSync(systemdPlugin).isSymbolicLink(), false, 'the systemd plugin was not installed with the core')

    const home = TestHome.forTest(t, 'tspm-distribution-home-')
    const env: NodeJS.ProcessEnv = {...process.env, ...oclifDirsEnv(root), TSPM_HOME: home.home, NO_COLOR: '1'}
    delete env.NODE_EXTRA_CA_CERTS
    const tspm = join(prefix, 'bin', 'tspm')
    const run = (args: string[]) => runProgram(tspm, args, {cwd: root, env, timeoutMs: 60_000})

    const version = await run(['--version'])
    assert.equal(version.code, 0, version.stderr)
    assert.match(version.stdout, new RegExp(`^tspm-cli/${corePackage.version.replaceAll('.', String.raw`\.`)} `))

    const help = await run(['--help'])
    assert.equal(help.code, 0, help.stderr)
    for (const command of ['start', 'list', 'startup', 'unstartup', 'plugins', 'autocomplete'])
      assert.match(help.stdout, new RegExp(`\\n  ${command} `), `${command} missing from --help`)

    const unit = await run(['startup', 'systemd', '--print'])
    assert.equal(unit.code, 0, unit.stderr)
    // The service runs the installed copy.
    assert.ok(
      unit.stdout.includes(
        `ExecStart=${[process.execPath, ...SUPERVISOR_NODE_FLAGS, join(installed, 'bin', 'run.js'), 'resurrect'].map((word) => `"${word}"`).join(' ')}`,
      ),
      unit.stdout,
    )
    assert.ok(unit.stdout.includes(`Environment="TSPM_HOME=${home.home}"`), unit.stdout)

    // The example of the README, on a free port.
    const example = join(root, 'example')
    cpSync(join(REPO_ROOT, 'examples'), example, {recursive: true})
    const port = await freePort()
    const configFile = join(example, 'tspm.yaml')
    const config = readFileSync(configFile, 'utf8')
    assert.match(config, /PORT: 3000/)
    writeFileSync(configFile, config.replace('PORT: 3000', `PORT: ${port}`))

    const started = await run(['start', '-c', configFile])
    assert.equal(started.code, 0, started.stderr)
    const listed = await waitFor(
      async () => {
        const result = await run(['list', '--json'])
        assert.equal(result.code, 0, result.stderr)
        const processes = jsonResult<Listed[]>(result.stdout)
        return processes.length === 2 && processes.every((entry) => entry.status === 'online') ? processes : undefined
      },
      {what: 'web and worker online', timeoutMs: 30_000},
    )
    assert.deepEqual(listed.map((entry) => entry.name).sort(), ['web', 'worker'])
    const answer = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/`, {signal: AbortSignal.timeout(2000)})
        return response.ok ? ((await response.json()) as {greeting: string; pid: number}) : undefined
      },
      {what: `the example web app on port ${port}`, timeoutMs: 20_000},
    )
    assert.equal(answer.greeting, 'hello from tspm')
    assert.equal(answer.pid, listed.find((entry) => entry.name === 'web')!.pid)

    const killed = await run(['kill'])
    assert.equal(killed.code, 0, killed.stderr)
    for (const entry of listed) {
      await waitFor(() => !isRunning(entry.pid!), {
        what: `${entry.name} (pid ${entry.pid}) to be gone`,
        timeoutMs: 20_000,
      })
    }

    const after = await run(['list', '--json'])
    assert.equal(after.code, 3, 'no supervisor runs any more')
    assert.deepEqual(jsonResult(after.stdout), [], 'and nothing of it either')
  },
)
