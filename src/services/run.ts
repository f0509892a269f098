import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {readConfig, startOnSupervisor} from './start.js'

export interface RunInput {
  /** `-c FILE` or FILE; default ./tspm.yaml. */
  config?: string
  /** `--env NAME`: PM2's env_NAME of each process goes over its env. */
  env?: string
  /** `--strict`: PM2 keys tspm ignores are errors. */
  strict?: boolean
}

/**
 * `tspm run`, for containers (PM2's pm2-runtime): this process becomes the supervisor of this
 * TSPM_HOME, in the foreground, with its control socket (so `tspm list` and `tspm logs` work from
 * `docker exec`); it starts the config as `tspm start` does (dependency order, ready checks),
 * copies app output to its stdout and stderr, and ends with its apps or with SIGTERM/SIGINT
 * (supervisor/main.ts). It forks no daemon and writes no dump.json.
 */
export async function runInForeground(paths: HomePaths, input: RunInput, output: Output): Promise<never> {
  const health = await new SupervisorClient(paths).health()
  if (health) {
    throw new TspmError(
      `a supervisor already runs for TSPM_HOME=${paths.home} (pid ${health.pid}); \`tspm run\` is a supervisor itself and runs where none does: stop that one with \`tspm kill\`, or give \`tspm run\` a TSPM_HOME of its own`,
      {exit: ExitCode.alreadyRunning, code: 'already_running'},
    )
  }

  // A mistake in the file is reported before anything is started, as `tspm start` does.
  const {specs, metrics} = await readConfig(
    {scriptArgs: [], config: input.config, env: input.env, strict: input.strict, wait: true},
    output,
  )
  const {runSupervisorProcess} = await import('../supervisor/main.js')
  return runSupervisorProcess({
    paths,
    mode: 'foreground',
    run: {
      async start(say) {
        const said: Output = {json: false, log: say, note: say, warn: (text) => say(`Warning: ${text}`)}
        try {
          await startOnSupervisor(
            new SupervisorClient(paths),
            {spawned: true, specs, metrics, fromScript: false, live: false, wait: true},
            said,
          )
        } catch (error) {
          // From here on an app that did not come online is its restart policy's: it is tried
          // again, and if it ends errored, `run` ends with exit 1.
          if (!(error instanceof TspmError) || !['not_ready', 'start_failed'].includes(error.code)) throw error
          said.warn(error.message)
        }
      },
    },
  })
}
