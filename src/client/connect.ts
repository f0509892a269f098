import {spawn} from 'node:child_process'
import {closeSync, existsSync, lstatSync, readFileSync, renameSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {DAEMON_ENTRY, SUPERVISOR_NODE_FLAGS} from '../model/supervisor-runtime.js'
import {ensureHome, type HomePaths} from '../store/home.js'
import {APP_NAME_MARKER} from '../store/orphans.js'
import {openForAppend} from '../store/private-file.js'
import {liveSupervisor} from '../store/supervisor-lock.js'
import {SupervisorClient, SupervisorNotRunningError} from './supervisor-client.js'

const READY_TIMEOUT_MS = 15_000
const POLL_MS = 10

/** A client for a supervisor that answers; for commands that must not start one (list, logs, stop...). */
export async function connectExisting(paths: HomePaths): Promise<SupervisorClient> {
  const client = new SupervisorClient(paths)
  if (await client.health()) return client
  const stranded = liveSupervisor(paths)
  if (stranded) return waitForAnswer(client, paths, stranded.pid)
  throw new SupervisorNotRunningError(paths.home)
}

/**
 * A client for the supervisor of this home, starting one in the background when none answers:
 * detached, stdio to $TSPM_HOME/tspm.log (never the CLI's, or the CLI would wait for it).
 */
export async function connectOrSpawn(paths: HomePaths): Promise<{client: SupervisorClient; spawned: boolean}> {
  const client = new SupervisorClient(paths)
  if (await client.health()) return {client, spawned: false}

  // The reader loads the schema library: only when there is a record to read, as the
  // supervisor's start waits on this.
  const startup = existsSync(paths.startupFile)
    ? (await import('../store/startup-record.js')).readStartupRecord(paths)
    : undefined
  if (startup) {
    throw new TspmError(
      `tspm is installed as the ${startup.platform} service "${startup.service_name}" for TSPM_HOME=${paths.home}, and it is not running; ` +
        `start it with: ${startup.start_command ?? `tspm startup ${startup.platform}`}`,
      {exit: ExitCode.notRunning, code: 'service_not_running'},
    )
  }

  // A supervisor that lives but lost its socket binds it again within moments: wait for it.
  const stranded = liveSupervisor(paths)
  if (stranded) return {client: await waitForAnswer(client, paths, stranded.pid), spawned: false}

  ensureHome(paths)
  keepSupervisorLogSmall(paths.supervisorLog)
  const logFd = openForAppend(paths.supervisorLog)
  const env: NodeJS.ProcessEnv = {...process.env, TSPM_HOME: paths.home}
  // Started from inside an app (a deploy script): the supervisor is not part of that app.
  delete env[APP_NAME_MARKER]
  const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, DAEMON_ENTRY], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env,
  })
  closeSync(logFd)
  let exitCode: null | number = null
  child.once('exit', (code) => {
    exitCode = code ?? 1
  })
  child.unref()

  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    const health = await client.health()
    // Several CLIs may race to start one: only the one whose supervisor answers started it.
    if (health) return {client, spawned: health.pid === child.pid}
    // Lost that race: the winner's supervisor will answer.
    if (exitCode !== null && exitCode !== ExitCode.alreadyRunning) {
      throw new TspmError(
        `the supervisor failed to start (exit ${exitCode}): ${lastLine(paths.supervisorLog)}; see ${paths.supervisorLog}`,
      )
    }

    await delay(POLL_MS)
  }

  throw new TspmError(
    `the supervisor did not answer on ${paths.socket} within ${READY_TIMEOUT_MS / 1000} s; see ${paths.supervisorLog}`,
  )
}

const STRANDED_TIMEOUT_MS = 10_000

/** Waits for a live supervisor to answer on its socket again. */
async function waitForAnswer(client: SupervisorClient, paths: HomePaths, pid: number): Promise<SupervisorClient> {
  const deadline = Date.now() + STRANDED_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (await client.health()) return client
    await delay(POLL_MS * 10)
  }

  throw new TspmError(
    `the supervisor of TSPM_HOME=${paths.home} (pid ${pid}) runs but does not answer on ${paths.socket}; see ${paths.supervisorLog}, or stop it with \`tspm kill\``,
    {exit: ExitCode.notRunning, code: 'not_answering'},
  )
}

const SUPERVISOR_LOG_MAX_BYTES = 10 * 1024 * 1024

/** The supervisor writes its own messages to an inherited fd, so its log turns over between runs. */
function keepSupervisorLogSmall(file: string): void {
  try {
    const stat = lstatSync(file)
    if (stat.isFile() && stat.size > SUPERVISOR_LOG_MAX_BYTES) renameSync(file, `${file}.1`)
  } catch {
    // no log yet
  }
}

function lastLine(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? ''
  } catch {
    return ''
  }
}
