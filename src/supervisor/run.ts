import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'

import type {HealthResponse} from '../model/api.js'

import {ensureHome, type HomePaths} from '../store/home.js'
import {APP_NAME_MARKER} from '../store/orphans.js'
import {acquireSupervisorLock} from '../store/supervisor-lock.js'
import {systemClock} from './clock.js'
import {ControlSocket} from './control-socket.js'
import {createApiServer} from './http-api.js'
import {MetricsListener} from './metrics-listener.js'
import {supervisorMetrics} from './metrics.js'
import {timestamped} from './own-log.js'
import {Supervisor, type SupervisorObserver} from './supervisor.js'

export interface SupervisorOptions {
  paths: HomePaths
  mode: HealthResponse['mode']
  log?: (message: string) => void
  observer?: SupervisorObserver
}

export interface RunningSupervisor {
  supervisor: Supervisor
  /** Resolves when the supervisor has stopped every app and let go of its socket. */
  closed: Promise<void>
  shutdown: () => Promise<void>
  /** True once shutdown() was called, by whoever (a signal, `tspm kill`). */
  readonly stopping: boolean
}

export const SUPERVISOR_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version

/**
 * Becomes the supervisor of one TSPM_HOME: takes the lock, stops what a dead predecessor left,
 * and answers on the socket until shutdown() (`tspm kill`, or a signal handled by main.ts).
 */
export async function runSupervisor(options: SupervisorOptions): Promise<RunningSupervisor> {
  const {paths, mode} = options
  const log = options.log ?? timestamped
  ensureHome(paths)
  const releaseLock = acquireSupervisorLock(paths)
  const startedAt = Date.now()
  // A supervisor started from inside an app (a deploy script) must not carry that app's marker.
  delete process.env[APP_NAME_MARKER]
  const baseEnv = {...process.env}
  const supervisor = new Supervisor({paths, clock: systemClock, spawn, baseEnv, log, observer: options.observer})
  const renderMetrics = () =>
    supervisorMetrics({version: SUPERVISOR_VERSION, startedAt, processes: supervisor.instances})
  const metricsListener = new MetricsListener(renderMetrics, log)

  const socket = new ControlSocket(
    paths.socket,
    () =>
      createApiServer(
        supervisor,
        () => ({
          pid: process.pid,
          version: SUPERVISOR_VERSION,
          home: paths.home,
          started_at: startedAt,
          mode,
          metrics: metricsListener.settings,
        }),
        () => shutdown(),
        {listener: metricsListener, render: renderMetrics},
      ),
    log,
  )
  try {
    for (const report of await supervisor.stopOrphans()) log(report)
    supervisor.writeStatus()
    await socket.open()
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
      socket.close()
      metricsListener.close()
      await supervisor.shutdown()
      releaseLock()
      log('supervisor stopped')
      resolveClosed()
    })()
    return shuttingDown
  }

  log(`supervisor ${SUPERVISOR_VERSION} (pid ${process.pid}) for TSPM_HOME=${paths.home} listening on ${paths.socket}`)
  return {
    supervisor,
    closed,
    shutdown,
    get stopping() {
      return shuttingDown !== undefined
    },
  }
}
