import type {Output} from '../cli/errors.js'
import type {ReloadResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {TspmError} from '../model/exit-codes.js'

export interface ReloadInput {
  /** An app, one instance (`web:2`), or `all`. */
  target: string
  /** `-c FILE`: the apps of this file take its definitions (an edited config, applied). */
  config?: string
  env?: string
  strict?: boolean
}

/**
 * `tspm reload`: each app's instances replaced one by one, each new one ready before the old one
 * stops. Fails, after saying what happened to each app, when any new instance did not come up.
 */
export async function reloadProcesses(paths: HomePaths, input: ReloadInput, output: Output): Promise<ReloadResponse> {
  let specs: ProcessSpec[] | undefined
  if (input.config !== undefined) {
    const {loadConfigFile} = await import('../config/load-config.js')
    specs = await loadConfigFile(input.config, {
      env: input.env,
      strict: input.strict,
      warn: (message) => output.warn(message),
      checkRunnable: true,
    })
  }

  const client = await connectExisting(paths)
  if (specs && input.target !== 'all' && !specs.some((spec) => spec.name === input.target.replace(/:\d+$/, ''))) {
    throw new TspmError(
      `${input.config} has no process named "${input.target}"; known: ${specs.map((spec) => spec.name).join(', ')}`,
      {
        code: 'unknown_process',
      },
    )
  }

  const response = await client.reload(input.target, specs)
  const failed = response.results.filter((result) => result.outcome === 'failed')
  for (const result of response.results) if (result.outcome !== 'failed') output.log(result.message)
  if (failed.length > 0) {
    throw new TspmError(failed.map((result) => result.message).join('\n'), {code: 'reload_failed', result: response})
  }

  if (response.results.length === 0) output.note('no processes')
  return response
}
