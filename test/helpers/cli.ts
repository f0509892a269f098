import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {homePaths, type HomePaths} from '../../src/store/home.js'

/** The repository root (tests run from dist-test/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const BIN = join(REPO_ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  home?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** Runs the built CLI as a user would: `node bin/run.js ARGS`, in its own process. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {...process.env, ...options.env, NO_COLOR: '1'}
  delete env.NODE_EXTRA_CA_CERTS
  if (options.home) env.TSPM_HOME = options.home
  return runProgram(process.execPath, [BIN, ...args], {cwd: options.cwd, env, timeoutMs: options.timeoutMs})
}

export function runProgram(
  command: string,
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      )
    }, timeoutMs)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : 1), stdout, stderr})
    })
  })
}

/**
 * A private TSPM_HOME for one test. cleanup() stops its supervisor and every process it may have
 * left (by the pids in status.json and the supervisor pid), then removes the folder; call it from
 * t.after so it runs even when the test fails.
 */
export class TestHome {
  readonly home: string
  readonly paths: HomePaths
  readonly extraPids = new Set<number>()

  constructor(prefix = 'tspm-test-', parent = tmpdir()) {
    this.home = mkdtempSync(join(parent, prefix))
    this.paths = homePaths(this.home)
  }

  /** A home whose cleanup runs when the test ends, pass or fail. */
  static forTest(t: {after: (fn: () => Promise<void>) => void}, prefix?: string, parent?: string): TestHome {
    const home = new TestHome(prefix, parent)
    t.after(() => home.cleanup())
    return home
  }

  run(args: string[], options: Omit<RunOptions, 'home'> = {}): Promise<CliResult> {
    return runCli(args, {...options, home: this.home})
  }

  /** The processes `tspm list --json` shows; fails the test when list does not exit 0. */
  async list<T>(): Promise<T[]> {
    const result = await this.run(['list', '--json'])
    assert.equal(result.code, 0, result.stderr)
    return jsonResult<T[]>(result.stdout)
  }

  /** `tspm resurrect` in the foreground, as systemd runs it, with its output collected; cleanup() stops it. */
  resurrectInForeground(): {child: ChildProcess; output: () => string; exited: Promise<null | number>} {
    const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: this.home, NO_COLOR: '1'}
    delete env.NODE_EXTRA_CA_CERTS
    const child = spawn(process.execPath, [BIN, 'resurrect'], {env, stdio: ['ignore', 'pipe', 'pipe']})
    this.extraPids.add(child.pid!)
    let output = ''
    child.stdout!.on('data', (chunk) => {
      output += chunk
    })
    child.stderr!.on('data', (chunk) => {
      output += chunk
    })
    const exited = once(child, 'exit').then(([code]) => code as null | number)
    return {child, output: () => output, exited}
  }

  async cleanup(): Promise<void> {
    await this.run(['kill'], {timeoutMs: 30_000}).catch(() => {})
    for (const pid of this.leftoverPids()) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // gone already, or not a group leader
      }

      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }

    rmSync(this.home, {recursive: true, force: true})
  }

  private leftoverPids(): number[] {
    const pids = [...this.extraPids]
    try {
      const status = JSON.parse(readFileSync(this.paths.statusFile, 'utf8')) as {processes: Array<{pid: null | number}>}
      for (const entry of status.processes) if (entry.pid) pids.push(entry.pid)
    } catch {
      // no status file
    }

    try {
      pids.push(Number(readFileSync(this.paths.pidFile, 'utf8')))
    } catch {
      // no pid file
    }

    return pids.filter((pid) => Number.isInteger(pid) && pid > 0)
  }
}

/** The `--json` envelope every tspm command prints: {status, result, warnings} or {status, error, warnings}. */
export interface Envelope<T> {
  status: number
  result: T
  warnings: string[]
  error?: {name: string; code: string; message: string}
}

/** Parses a command's `--json` output, the envelope. */
export function envelope<T = unknown>(stdout: string): Envelope<T> {
  return JSON.parse(stdout) as Envelope<T>
}

/** The `result` of a command's `--json` output. */
export function jsonResult<T = unknown>(stdout: string): T {
  return envelope<T>(stdout).result
}

/** A temp folder for test apps and configs, removed by the returned cleanup. */
export function tempDir(prefix = 'tspm-app-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
