// A real npm registry for tests: verdaccio on 127.0.0.1 with a random free port, a private
// storage and config in a temp folder. Offline (no uplink: it serves only what a test publishes),
// or with an uplink to the registry this machine's npm uses, for everything but tspm's own packages.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {type CliResult, REPO_ROOT, runCli, runProgram, tempDir} from './cli.js'
import {freePort} from './net.js'
import {WaitAbort, waitFor} from './wait.js'

const VERDACCIO = join(REPO_ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio')
/** Ready in 1 to 3 s, up to 11 s seen on a busy machine: generous, but bounded. */
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 10_000

/** Served from this registry alone, never looked up upstream: what the tests publish. */
export const LOCAL_PACKAGES = ['tspm-*']

export interface RegistryOptions {
  /** Pass every package but LOCAL_PACKAGES through to the registry `npm config get registry` names. */
  uplink?: boolean
}

export interface Registry {
  /** `http://127.0.0.1:PORT/` */
  url: string
  /** Where temp files of this registry live (removed by stop()). */
  dir: string
  /**
   * Environment for npm (and for oclif's plugin-plugins, which runs npm) aimed at this registry:
   * its address, no retries (an unreachable registry would otherwise hang an install on
   * retries), and a private npm cache (so what a test installs came from this registry).
   */
  npmEnv(): NodeJS.ProcessEnv
  /**
   * `npm pack` of a package folder, then `npm publish` of that tarball to this registry, with a
   * token: npm refuses to publish without one, even where anyone may publish.
   */
  publish(packageDir: string): Promise<void>
  /** Stops verdaccio (SIGTERM, then SIGKILL) and removes its temp files. Safe to call twice. */
  stop(): Promise<void>
}

/** What `npm config get NAME` says outside any test override; undefined for null or empty. */
async function npmConfig(name: string): Promise<string | undefined> {
  const env = {...process.env}
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_config_')) delete env[key]
  const result = await runProgram('npm', ['config', 'get', name], {env, cwd: tmpdir(), timeoutMs: 30_000})
  const value = result.stdout.trim()
  return result.code === 0 && value !== '' && value !== 'null' && value !== 'undefined' ? value : undefined
}

async function writeConfig(dir: string, uplink: boolean): Promise<{config: string; env: NodeJS.ProcessEnv}> {
  const local = {access: '$all', publish: '$all', unpublish: '$all'}
  const packages: Record<string, object> = Object.fromEntries(LOCAL_PACKAGES.map((pattern) => [pattern, local]))
  const config: Record<string, unknown> = {
    storage: join(dir, 'storage'),
    web: {enable: false},
    log: {type: 'stdout', format: 'json', level: 'warn'},
    publish: {allow_offline: true},
    uplinks: {},
    packages,
  }
  const env: NodeJS.ProcessEnv = {...process.env}
  if (uplink) {
    const upstream = await npmConfig('registry')
    if (!upstream) throw new Error('`npm config get registry` names no registry, so the registry test has no uplink')
    config.uplinks = {upstream: {url: upstream, timeout: '60s', max_fails: 5, fail_timeout: '1m', cache: false}}
    packages['**'] = {access: '$all', publish: '$all', proxy: 'upstream'}
    // npm may be set up with a CA file or a proxy for that registry: verdaccio needs the same.
    const cafile = await npmConfig('cafile')
    if (cafile) env.NODE_EXTRA_CA_CERTS = cafile
    const httpsProxy = await npmConfig('https-proxy')
    const httpProxy = await npmConfig('proxy')
    if (httpsProxy) config.https_proxy = httpsProxy
    if (httpProxy) config.http_proxy = httpProxy
  } else {
    packages['**'] = local
  }

  const file = join(dir, 'config.yaml')
  // YAML is a superset of JSON: no quoting rules to get wrong for odd paths.
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n')
  return {config: file, env}
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'tspm-registry-'))
  try {
    const {config, env} = await writeConfig(dir, options.uplink ?? false)
    // A port found free can be taken before verdaccio binds it: try a few.
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      try {
        return await launch(dir, config, env, port)
      } catch (error) {
        lastError = error
        if (!(error instanceof PortTaken)) throw error
      }
    }

    throw lastError
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
}

class PortTaken extends Error {}

async function launch(dir: string, config: string, env: NodeJS.ProcessEnv, port: number): Promise<Registry> {
  const url = `http://127.0.0.1:${port}/`
  const child = spawn(process.execPath, [VERDACCIO, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => {
    output += chunk
  })
  child.stderr!.on('data', (chunk) => {
    output += chunk
  })
  let exited: undefined | {code: null | number; signal: NodeJS.Signals | null}
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = {code, signal}
      resolve()
    })
  })

  try {
    await waitFor(
      async () => {
        if (exited) {
          const message = `verdaccio exited (${exited.code ?? exited.signal}) before it answered on ${url}:\n${output}`
          throw new WaitAbort(message, {cause: /EADDRINUSE/.test(output) ? new PortTaken(message) : undefined})
        }

        const response = await fetch(`${url}-/ping`, {signal: AbortSignal.timeout(2000)})
        return response.ok
      },
      {what: `verdaccio to answer ${url}-/ping`, timeoutMs: READY_TIMEOUT_MS, intervalMs: 100},
    )
  } catch (error) {
    await terminate(child, exit, () => exited !== undefined)
    if (error instanceof WaitAbort && error.cause instanceof PortTaken) throw error.cause
    throw error
  }

  const host = `//127.0.0.1:${port}/`
  let stopped = false
  const registry: Registry = {
    url,
    dir,
    npmEnv() {
      const npmEnv: NodeJS.ProcessEnv = {
        ...process.env,
        npm_config_registry: url,
        npm_config_fetch_retries: '0',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        npm_config_loglevel: 'warn',
        npm_config_cache: join(dir, 'npm-cache'),
      }
      return npmEnv
    },
    async publish(packageDir) {
      const tarballs = join(dir, 'tarballs', String(Date.now()))
      mkdirSync(tarballs, {recursive: true})
      const npmEnv = registry.npmEnv()
      // --ignore-scripts: the tree is built already; a pack must not rebuild it.
      const pack = await runProgram('npm', ['pack', '--ignore-scripts', '--pack-destination', tarballs], {
        cwd: packageDir,
        env: npmEnv,
        timeoutMs: 120_000,
      })
      expectOk(pack, `npm pack in ${packageDir}`)
      const tarball = readdirSync(tarballs).find((file) => file.endsWith('.tgz'))
      if (!tarball) throw new Error(`npm pack in ${packageDir} made no tarball:\n${pack.stdout}${pack.stderr}`)
      const publish = await runProgram(
        'npm',
        ['publish', join(tarballs, tarball), '--ignore-scripts', '--registry', url, `--${host}:_authToken=tspm-test`],
        {
          cwd: tarballs,
          env: npmEnv,
          timeoutMs: 120_000,
        },
      )
      expectOk(publish, `npm publish ${tarball} to ${url}`)
    },
    async stop() {
      if (stopped) return
      stopped = true
      await terminate(child, exit, () => exited !== undefined)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return registry
}

function expectOk(result: CliResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`)
}

/** SIGTERM, then SIGKILL if verdaccio is still there after STOP_TIMEOUT_MS. */
async function terminate(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return
  child.kill('SIGTERM')
  const giveUp = new AbortController()
  const timedOut = delay(STOP_TIMEOUT_MS, true, {signal: giveUp.signal}).catch(() => false)
  const late = await Promise.race([exit.then(() => false), timedOut])
  giveUp.abort()
  if (late && !hasExited()) {
    child.kill('SIGKILL')
    await exit
  }
}

/**
 * Private oclif folders for one test (TSPM_DATA_DIR: installed and linked plugins; TSPM_CACHE_DIR:
 * the completion scripts; TSPM_CONFIG_DIR), so nothing lands in the real ~/.local/share/tspm.
 */
export function oclifDirsEnv(root: string): NodeJS.ProcessEnv {
  return {TSPM_DATA_DIR: join(root, 'data'), TSPM_CACHE_DIR: join(root, 'cache'), TSPM_CONFIG_DIR: join(root, 'config')}
}

/** A CLI with one plugin folder linked in, in private oclif folders and a private TSPM_HOME. */
export async function cliWithLinkedPlugin(
  t: {after(fn: () => void): void},
  pluginDir: string,
  homeName = 'home',
): Promise<{home: string; run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>}> {
  const root = tempDir('tspm-plugin-')
  t.after(() => rmSync(root, {recursive: true, force: true}))
  const home = join(root, homeName)
  mkdirSync(home, {mode: 0o700})
  const env = {...oclifDirsEnv(root), TSPM_HOME: home}
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, {env: {...env, ...extra}})
  const linked = await run(['plugins', 'link', pluginDir, '--no-install'])
  assert.equal(linked.code, 0, `plugins link failed:\n${linked.stdout}${linked.stderr}`)
  return {home, run}
}
