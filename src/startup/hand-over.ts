import {spawn} from 'node:child_process'
import {chownSync, closeSync, existsSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import type {HomePaths} from '../store/home.js'
import type {StartupStep, StartupUser} from './platform.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {resurrectCommand} from '../model/supervisor-runtime.js'
import {isAlive} from '../os/proc.js'
import {loadDump} from '../store/dump.js'
import {openForAppend} from '../store/private-file.js'

const POLL_MS = 100
/** Added to the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_MS = 15_000
const ANSWER_TIMEOUT_MS = 30_000

export interface HandOverInput {
  paths: HomePaths
  user: StartupUser
  runtime: string
  tspmEntry: string
  path: string
  maxKillTimeoutMs: number
}

/**
 * Stops the supervisor that runs for this TSPM_HOME (started by hand with `tspm start`, or by
 * an earlier install of the service), so that the service's `tspm resurrect` becomes the one
 * supervisor and brings the saved processes back. Refuses when it runs processes and nothing is
 * saved: the service would start empty and those processes would be lost.
 */
export function createHandOverStep(input: HandOverInput): StartupStep {
  const {paths, user} = input
  let stoppedPid: number | undefined
  return {
    title: `Hand over from the supervisor running for TSPM_HOME=${paths.home}`,
    async run(output) {
      const client = new SupervisorClient(paths, user.uid)
      const health = await client.health()
      if (!health) {
        output('no supervisor runs for this TSPM_HOME; nothing to hand over')
        return
      }

      const saved = await loadDump(paths)
      const running = await client.list()
      // Nothing saved but something running: stopping it would lose those processes for good.
      if (saved.source === 'none' && running.length > 0) {
        throw new TspmError(
          `a supervisor (pid ${health.pid}) runs ${running.length} process(es) for TSPM_HOME=${paths.home} but they were never saved; run \`tspm save\` as ${user.name} first, so the service can bring them back`,
          {exit: ExitCode.failure, code: 'not_saved'},
        )
      }

      const savedNames = new Set(saved.processes.map(({spec}) => spec.name))
      const unsaved = running.map((info) => info.name).filter((name) => !savedNames.has(name))
      await client.shutdown()
      stoppedPid = health.pid
      const stopTimeoutMs = input.maxKillTimeoutMs + STOP_MARGIN_MS
      const deadline = Date.now() + stopTimeoutMs
      while (isAlive(health.pid) || (await client.health())) {
        if (Date.now() > deadline)
          throw new TspmError(
            `the supervisor (pid ${health.pid}) did not stop within ${Math.round(stopTimeoutMs / 1000)} s`,
          )
        await delay(POLL_MS)
      }

      output(
        `stopped the supervisor that ran (pid ${health.pid}); the service brings back the ${saved.processes.length} saved process(es)` +
          (unsaved.length > 0 ? `; not saved, so not brought back: ${unsaved.join(', ')}` : ''),
      )
    },
    async rollback() {
      if (stoppedPid === undefined) return
      await startByHand(input)
    },
  }
}

/** Starts `tspm resurrect` in the background as the user, as they would by hand. */
async function startByHand({paths, user, runtime, tspmEntry, path}: HandOverInput): Promise<void> {
  const asOtherUser = process.getuid?.() !== user.uid
  const logExisted = existsSync(paths.supervisorLog)
  const logFd = openForAppend(paths.supervisorLog, 0o600, {owner: logExisted ? user.uid : undefined})
  if (!logExisted && asOtherUser) chownSync(paths.supervisorLog, user.uid, user.gid)
  const [command, ...args] = resurrectCommand(runtime, tspmEntry)
  const child = spawn(command, args, {
    cwd: user.home,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: {HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: path, TSPM_HOME: paths.home},
    ...(asOtherUser ? {uid: user.uid, gid: user.gid} : {}),
  })
  closeSync(logFd)
  child.unref()
  await waitForSupervisor(paths, user.uid)
}

/** Polls the supervisor of this TSPM_HOME until it answers, or throws at the deadline. */
export async function waitForSupervisor(
  paths: HomePaths,
  owner: number,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<number> {
  const client = new SupervisorClient(paths, owner)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const health = await client.health()
    if (health) return health.pid
    if (Date.now() > deadline)
      throw new TspmError(`no supervisor answered on ${paths.socket} within ${timeoutMs / 1000} s`)
    await delay(POLL_MS)
  }
}
