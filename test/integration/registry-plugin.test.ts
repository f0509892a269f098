// `tspm plugins install tspm-launchd` for real: the plugin is packed and published to a local,
// offline npm registry (verdaccio with no uplink: it holds that one package and nothing else),
// then installed by oclif's plugin-plugins into a private data folder, used, and uninstalled.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT, runCli, tempDir} from '../helpers/cli.js'
import {oclifDirsEnv, startRegistry} from '../helpers/registry.js'

const PLUGIN_DIR = join(REPO_ROOT, 'plugins', 'plugin-launchd')

test(
  'tspm plugins install tspm-launchd from an offline registry adds the launchd platform; uninstall takes it away',
  {timeout: 180_000},
  async (t) => {
    const registry = await startRegistry()
    t.after(() => registry.stop())
    const root = tempDir('tspm-plugin-install-')
    t.after(() => rmSync(root, {recursive: true, force: true}))

    await registry.publish(PLUGIN_DIR)

    const dirs = oclifDirsEnv(root)
    // Not npm_config_registry: TSPM_NPM_REGISTRY alone must point plugin-plugins (it passes
    // --registry to npm) at the local registry.
    const npmEnv = registry.npmEnv()
    delete npmEnv.npm_config_registry
    const env: NodeJS.ProcessEnv = {
      ...npmEnv,
      TSPM_NPM_REGISTRY: registry.url,
      ...dirs,
      TSPM_HOME: join(root, 'home'),
    }
    const run = (args: string[]) => runCli(args, {env, timeoutMs: 120_000})

    const helpBefore = await run(['startup', '--help'])
    /** The platform names under PLATFORMS in a command's help (each at the start of its row). */
    const platformsIn = (help: string) =>
      [...(help.split(/^PLATFORMS\n/m)[1] ?? '').matchAll(/^ {2}(\S+) {2,}/gm)].map((match) => match[1])
    assert.deepEqual(platformsIn(helpBefore.stdout), ['systemd', 'systemd-user'])
    const before = await run(['startup', 'launchd', '--print'])
    assert.equal(before.code, 2, before.stderr)
    assert.match(before.stderr, /tspm plugins install tspm-launchd/)

    const installed = await run(['plugins', 'install', 'tspm-launchd'])
    assert.equal(installed.code, 0, `plugins install failed:\n${installed.stdout}${installed.stderr}`)

    // Installed from that registry, with nothing else: the plugin has no runtime dependency.
    const modules = join(dirs.TSPM_DATA_DIR!, 'node_modules')
    assert.deepEqual(
      readdirSync(modules).filter((name) => !name.startsWith('.')),
      ['tspm-launchd'],
    )
    const lock = JSON.parse(readFileSync(join(dirs.TSPM_DATA_DIR!, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, {resolved?: string}>
    }
    const resolved = lock.packages['node_modules/tspm-launchd']?.resolved
    if (resolved !== undefined) assert.ok(resolved.startsWith(registry.url), resolved)

    const listed = await run(['plugins'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /tspm-launchd 0\.1\.0/)
    const listedJson = await run(['plugins', '--json'])
    const plugins = JSON.parse(listedJson.stdout) as Array<{name: string; type: string}>
    assert.deepEqual(
      plugins.filter((plugin) => plugin.name === 'tspm-launchd').map((plugin) => plugin.type),
      ['user'],
    )

    const printed = await run(['startup', 'launchd', '--print'])
    assert.equal(printed.code, 0, printed.stderr)
    assert.match(printed.stdout, /^<\?xml /)
    assert.match(printed.stdout, /<string>io\.tspm\.tspm<\/string>/)

    // The help lists it as soon as it is installed, as does the message for an unknown platform.
    const helpAfter = await run(['startup', '--help'])
    assert.deepEqual(platformsIn(helpAfter.stdout), ['launchd', 'systemd', 'systemd-user'])
    const unknown = await run(['startup', 'nosuch'])
    assert.equal(unknown.code, 2, unknown.stderr)
    assert.match(unknown.stderr, /installed platforms: .*launchd \(/)
    assert.match(unknown.stderr, /systemd \(/)

    const uninstalled = await run(['plugins', 'uninstall', 'tspm-launchd'])
    assert.equal(uninstalled.code, 0, `plugins uninstall failed:\n${uninstalled.stdout}${uninstalled.stderr}`)
    assert.equal(existsSync(join(modules, 'tspm-launchd')), false)

    const after = await run(['startup', 'launchd'])
    assert.equal(after.code, 2, after.stderr)
    assert.match(after.stderr, /unknown startup platform "launchd"/)
    assert.match(after.stderr, /tspm plugins install tspm-launchd/)
    assert.doesNotMatch(after.stderr, /installed platforms: .*launchd \(/)
    const listedAfter = await run(['plugins'])
    assert.doesNotMatch(listedAfter.stdout, /tspm-launchd/)
  },
)
