import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {REPO_ROOT} from './cli.js'
import {oclifDirsEnv} from './registry.js'

export interface CommandRun {
  stdout: string
  stderr: string
  /** What the process would exit with: our base command sets process.exitCode; oclif's own errors carry oclif.exit. */
  exitCode: number
  /** An error that escaped the command (tspm's base command reports its own instead of throwing). */
  error?: Error
}

let config: Promise<Config> | undefined

/** The oclif config of the built CLI (dist/, oclif.manifest.json), loaded once, with private oclif folders. */
function loadConfig(): Promise<Config> {
  if (!config) {
    const root = mkdtempSync(join(tmpdir(), 'tspm-oclif-'))
    process.once('exit', () => rmSync(root, {recursive: true, force: true}))
    Object.assign(process.env, oclifDirsEnv(root))
    config = Config.load({root: REPO_ROOT})
  }

  return config
}

/**
 * Runs a tspm command in this process, as `TSPM_HOME=home tspm ARGS` would, with @oclif/test's
 * runCommand capturing stdout and stderr. TSPM_HOME and process.exitCode are put back afterwards,
 * so one run never leaks into the next (or into this test process's own exit code).
 */
export async function runTspm(args: string[], home: string): Promise<CommandRun> {
  const loaded = await loadConfig()
  const saved = {home: process.env.TSPM_HOME, contentType: process.env.TSPM_CONTENT_TYPE, exitCode: process.exitCode}
  process.env.TSPM_HOME = home
  delete process.env.TSPM_CONTENT_TYPE
  process.exitCode = undefined
  try {
    // NODE_ENV as users have it (not "test"): oclif adds development-only warnings otherwise.
    const {stdout, stderr, error} = await withStandInStdout(() => runCommand(args, loaded, {testNodeEnv: 'production'}))
    const exitCode = process.exitCode ?? error?.oclif?.exit ?? (error ? 1 : 0)
    return {stdout, stderr, exitCode: Number(exitCode), error}
  } finally {
    restoreEnv('TSPM_HOME', saved.home)
    restoreEnv('TSPM_CONTENT_TYPE', saved.contentType)
    process.exitCode = saved.exitCode
  }
}

/**
 * node:test reports this file's results to its runner on this process's stdout, at moments of its
 * own: runCommand's capture (it replaces process.stdout.write) would swallow them, and mix them
 * into the command's output. So the command gets a stand-in stdout, which runCommand captures,
 * while the runner keeps writing to the real one.
 */
async function withStandInStdout<T>(body: () => Promise<T>): Promise<T> {
  const real = Object.getOwnPropertyDescriptor(process, 'stdout')!
  const standIn: NodeJS.WriteStream = Object.create(process.stdout)
  Object.defineProperty(process, 'stdout', {...real, get: () => standIn})
  try {
    return await body()
  } finally {
    Object.defineProperty(process, 'stdout', real)
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
