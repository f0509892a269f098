// `tspm plugins install tspm-launchd` (and tspm-openrc) for real: the plugin is packed and
// published to a local, offline npm registry (verdaccio with no uplink: it holds that one package
// and nothing else), then installed by oclif's plugin-plugins into a private data folder, used,
// and uninstalled.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT, runCli, tempDir} from '../helpers/cli.js'
import {oclifDirsEnv, startRegistry} from '../helpers/registry.js'

/** The published startup plugins, and what `startup <platform> --print` shows once one is installed. */
const PLUGINS = [
  {platform: 'launchd', printed: [/^<\?xml /, /<string>io\.tspm\.tspm<\/string>/]},
  {platform: 'openrc', printed: [/^#!\/sbin\/openrc-run\n/, /^supervisor=supervise-daemon$/m]},
]

/** The platform names under PLATFORMS in a command's help (each at the start of its row). */
function platformsIn(help: string): string[] {
  return [...(help.split(/^PLATFORMS\n/m)[1] ?? '').matchAll(/^ {2}(\S+) {2,}/gm)].map((match) => match[1]!)
}

for (const {platform, printed: printedShows} of PLUGINS) {
  const packageName = `tspm-${platform}`
  const PLUGIN_DIR = join(REPO_ROOT, 'plugins', `plugin-${platform}`)
  test(
    `tspm plugins install ${packageName} from an offline registry adds the ${platform} platform; uninstall takes it away`,
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
      assert.deepEqual(platformsIn(helpBefore.stdout), ['systemd', 'systemd-user'])
      const before = await run(['startup', platform, '--print'])
      assert.equal(before.code, 2, before.stderr)
      assert.ok(before.stderr.includes(`tspm plugins install ${packageName}`), before.stderr)

      const installed = await run(['plugins', 'install', packageName])
      assert.equal(installed.code, 0, `plugins install failed:\n${installed.stdout}${installed.stderr}`)

      // Installed from that registry, with nothing else: the plugin has no runtime dependency.
      const modules = join(dirs.TSPM_DATA_DIR!, 'node_modules')
      assert.deepEqual(
        readdirSync(modules).filter((name) => !name.startsWith('.')),
        [packageName],
      )
      const lock = JSON.parse(readFileSync(join(dirs.TSPM_DATA_DIR!, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, {resolved?: string}>
      }
      const resolved = lock.packages[`node_modules/${packageName}`]?.resolved
      if (resolved !== undefined) assert.ok(resolved.startsWith(registry.url), resolved)

      const listed = await run(['plugins'])
      assert.equal(listed.code, 0, listed.stderr)
      assert.ok(listed.stdout.includes(`${packageName} 0.1.0`), listed.stdout)
      const listedJson = await run(['plugins', '--json'])
      const plugins = JSON.parse(listedJson.stdout) as Array<{name: string; type: string}>
      assert.deepEqual(
        plugins.filter((plugin) => plugin.name === packageName).map((plugin) => plugin.type),
        ['user'],
      )

      const printed = await run(['startup', platform, '--print'])
      assert.equal(printed.code, 0, printed.stderr)
      for (const shows of printedShows) assert.match(printed.stdout, shows)

      // The help lists it as soon as it is installed, as does the message for an unknown platform.
      const helpAfter = await run(['startup', '--help'])
      assert.deepEqual(platformsIn(helpAfter.stdout), [platform, 'systemd', 'systemd-user'])
      const unknown = await run(['startup', 'nosuch'])
      assert.equal(unknown.code, 2, unknown.stderr)
      assert.match(unknown.stderr, new RegExp(`installed platforms: .*${platform} \\(`))
      assert.match(unknown.stderr, /systemd \(/)

      const uninstalled = await run(['plugins', 'uninstall', packageName])
      assert.equal(uninstalled.code, 0, `plugins uninstall failed:\n${uninstalled.stdout}${uninstalled.stderr}`)
      assert.equal(existsSync(join(modules, packageName)), false)

      const after = await run(['startup', platform])
      assert.equal(after.code, 2, after.stderr)
      assert.ok(after.stderr.includes(`unknown startup platform "${platform}"`), after.stderr)
      assert.ok(after.stderr.includes(`tspm plugins install ${packageName}`), after.stderr)
      assert.doesNotMatch(after.stderr, new RegExp(`installed platforms: .*${platform} \\(`))
      const listedAfter = await run(['plugins'])
      assert.ok(!listedAfter.stdout.includes(packageName), listedAfter.stdout)
    },
  )
}
