import {ExitCode, TspmError} from './exit-codes.js'
import {checkHome, resolveHome} from './home.js'

/**
 * Runs a command without oclif (see bin/run.js), with the same face as TspmCommand: the TSPM_HOME
 * check of the init hook, "Error: message" on stderr (or a JSON error with --json), and the exit
 * code of the ExitCode table.
 */
export async function runDirect(body: () => Promise<void>, options: {json?: boolean} = {}): Promise<void> {
  try {
    checkHome(resolveHome())
    await body()
  } catch (error) {
    const exit = error instanceof TspmError ? error.exitCode : ExitCode.failure
    const message = (error as Error).message
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({status: exit, error: {code: (error as TspmError).code ?? 'failure', message}}, null, 2)}\n`,
      )
    else process.stderr.write(`Error: ${message}\n`)
    process.exitCode = exit
  }
}

/** Where a direct command's output goes: the answer on stdout, notes and warnings on stderr. */
export const directOutput = {
  log: (text: string) => process.stdout.write(`${text}\n`),
  note: (text: string) => process.stderr.write(`${text}\n`),
  warn: (text: string) => process.stderr.write(`Warning: ${text}\n`),
}
