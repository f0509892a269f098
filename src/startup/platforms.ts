import type {Config} from '@oclif/core'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PLATFORM_NAME_PATTERN} from '../model/names.js'
import {STARTUP_API_VERSION, type StartupPlatform} from './platform.js'

/** A plugin's hook gets this long to answer, so one stuck plugin cannot hang `tspm startup`. */
const HOOK_TIMEOUT_MS = 10_000

export interface InstalledPlatforms {
  platforms: StartupPlatform[]
  /** One line per plugin whose hook failed or answered something unusable; the others still work. */
  problems: string[]
}

/** Asks every installed plugin for its startup platforms through the `tspm:startup-platforms` hook. */
export async function collectPlatforms(config: Config): Promise<InstalledPlatforms> {
  // captureErrors: a plugin that throws (even through this.error) is reported, not fatal.
  const result = await config.runHook('tspm:startup-platforms', {}, HOOK_TIMEOUT_MS, true)
  const problems = result.failures.map(
    ({error, plugin}) =>
      `the plugin ${plugin.name} failed to list its startup platforms (${error.message}); it is left out (update it, or remove it with \`tspm plugins uninstall ${plugin.name}\`)`,
  )
  const platforms: StartupPlatform[] = []
  for (const {plugin, result: answer} of result.successes) {
    for (const candidate of Array.isArray(answer) ? answer : [answer]) {
      const problem = whyUnusable(candidate)
      if (problem) {
        problems.push(
          `the plugin ${plugin.name} answered a startup platform that cannot be used (${problem}); it is left out`,
        )
      } else if (platforms.some((known) => known.name === candidate.name)) {
        problems.push(
          `the plugin ${plugin.name} also provides the startup platform "${candidate.name}"; the first one found is used`,
        )
      } else {
        platforms.push(candidate)
      }
    }
  }

  platforms.sort((a, b) => a.name.localeCompare(b.name))
  return {platforms, problems}
}

function whyUnusable(candidate: unknown): string | undefined {
  if (typeof candidate !== 'object' || candidate === null) return 'not an object'
  const platform = candidate as Record<string, unknown>
  if (typeof platform.name !== 'string' || !PLATFORM_NAME_PATTERN.test(platform.name))
    return `bad name ${JSON.stringify(platform.name)}`
  if (platform.apiVersion !== STARTUP_API_VERSION) {
    return `"${platform.name}" was written for version ${JSON.stringify(platform.apiVersion ?? 'unknown')} of tspm's startup platform API, and this tspm speaks version ${STARTUP_API_VERSION}; update the plugin`
  }

  for (const method of [
    'detect',
    'unitPath',
    'needsRoot',
    'render',
    'installSteps',
    'uninstallSteps',
    'startCommand',
    'statusHint',
  ]) {
    if (typeof platform[method] !== 'function') return `"${platform.name}" has no ${method}()`
  }

  if (platform.scope !== undefined && typeof platform.scope !== 'function')
    return `"${platform.name}" has a scope that is not a function`

  return undefined
}

/** The platform named on the command line, or the one whose detect() is true here. */
export async function choosePlatform(
  installed: StartupPlatform[],
  requested: string | undefined,
): Promise<StartupPlatform> {
  const list =
    installed.length > 0 ? installed.map((platform) => `${platform.name} (${platform.description})`).join(', ') : 'none'
  if (requested !== undefined) {
    const found = installed.find((platform) => platform.name === requested)
    if (found) return found
    const hint = PLATFORM_NAME_PATTERN.test(requested)
      ? `if a plugin provides it, install it with \`tspm plugins install tspm-${requested}\``
      : 'a platform name has lowercase letters, digits and "-"'
    throw new TspmError(
      `unknown startup platform ${JSON.stringify(requested)}; installed platforms: ${list}; ${hint}; nothing was changed`,
      {
        exit: ExitCode.usage,
        code: 'unknown_platform',
      },
    )
  }

  for (const platform of installed) {
    if (await platform.detect()) return platform
  }

  throw new TspmError(
    `no installed startup platform detects its init system on this machine (installed: ${list}); name one, as in \`tspm startup systemd\`, or install a plugin for yours with \`tspm plugins install tspm-<name>\``,
    {exit: ExitCode.usage, code: 'no_platform_detected'},
  )
}
