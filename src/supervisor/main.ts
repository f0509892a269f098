/**
 * Entry of the background supervisor that `tspm start` spawns. It loads the supervisor alone
 * (no oclif, no listr2): its memory is what every user pays while their apps run.
 */
import {homePaths, resolveHome} from '../home.js'
import {ExitCode, TspmError} from '../exit-codes.js'
import {runSupervisor, timestamped} from './run.js'

try {
  const running = await runSupervisor({paths: homePaths(resolveHome()), mode: 'daemon'})
  await running.closed
  process.exit(0)
} catch (error) {
  timestamped(`supervisor failed to start: ${(error as Error).message}`)
  process.exit(error instanceof TspmError ? error.exitCode : ExitCode.failure)
}
