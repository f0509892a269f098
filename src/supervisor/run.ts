import type {Server} from 'node:net'

import {spawn} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'

import type {HealthResponse} from '../model/api.js'

import {ensureHome, type HomePaths} from '../store/home.js'
import {isoTimestamp, systemClock} from './clock.js'
import {createApiServer} from './http-api.js'
import {acquirePidLock} from './lock.js'
import {Supervisor} from './supervisor.js'

export interface SupervisorOptions {
  paths: HomePaths
  mode: HealthResponse['mode']
  log?: (message: string) => void
}

export interface RunningSupervisor {
  supervisor: Supervisor
  /** Resolves when the supervisor has stopped every app and let go of its socket. */
  closed: Promise<void>
  shutdown: () => Promise<void>
}

export const SUPERVISOR_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version

/** The supervisor's own messages: one timestamped line each, on its stdout (tspm.log, or the journal). */
export function timestamped(message: string): void {
  process.stdout.write(`${isoTimestamp()} ${message}\n`)
}

/**
 * Becomes the supervisor of one TSPM_HOME: takes the lock, stops what a dead predecessor left,
 * and answers on the socket until shutdown() (`tspm kill`, or a signal handled by main.ts).
 */
export async function runSupervisor(options: SupervisorOptions): Promise<RunningSupervisor> {
  const {paths, mode} = options
  const log = options.log ?? timestamped
  ensureHome(paths)
  const releaseLock = acquirePidLock(paths.pidFile, paths.home)
  const startedAt = Date.now()
  const baseEnv = {...process.env}
  const supervisor = new Supervisor({paths, clock: systemClock, spawn, baseEnv, log})

  let server: Server | undefined
  try {
    for (const report of await supervisor.stopOrphans()) log(report)
    supervisor.writeStatus()
    // We hold the lock, so a socket file here is a dead supervisor's.
    rmSync(paths.socket, {force: true})
    server = createApiServer(
      supervisor,
      () => ({pid: process.pid, version: SUPERVISOR_VERSION, home: paths.home, started_at: startedAt, mode}),
      () => shutdown(),
    )
    await listenPrivately(server, paths.socket)
  } catch (error) {
    releaseLock()
    throw error
  }

  let resolveClosed: () => void
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve
  })
  let shuttingDown: Promise<void> | undefined
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      log('shutting down: stopping every app')
      server!.close()
      await supervisor.shutdown()
      rmSync(paths.socket, {force: true})
      releaseLock()
      log('supervisor stopped')
      resolveClosed()
    })()
    return shuttingDown
  }

  log(`supervisor ${SUPERVISOR_VERSION} (pid ${process.pid}) for TSPM_HOME=${paths.home} listening on ${paths.socket}`)
  return {supervisor, closed, shutdown}
}

/** The socket is created 0600 (umask around listen), so no other user can drive the supervisor. */
async function listenPrivately(server: Server, socket: string): Promise<void> {
  const previous = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socket, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } finally {
    process.umask(previous)
  }
}
