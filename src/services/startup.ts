import type {Config} from '@oclif/core'

import {spawn} from 'node:child_process'
import {chownSync, existsSync, mkdirSync, rmdirSync} from 'node:fs'
import {dirname} from 'node:path'

import type {Output} from '../cli/errors.js'
import type {StartupContext, StartupPlatform, StartupStep} from '../startup/platform.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {DEFAULT_SERVICE_NAME} from '../model/names.js'
import {resolveContext, type ResolvedContext} from '../startup/context.js'
import {waitForSupervisor} from '../startup/hand-over.js'
import {checkServiceName, checkUserName} from '../startup/names.js'
import {choosePlatform, collectPlatforms} from '../startup/platforms.js'
import {progressStyleFor, runSteps} from '../startup/run-steps.js'
import {
  readStartupRecord,
  removeStartupRecord,
  type StartupRecord,
  writeStartupRecord,
} from '../store/startup-record.js'

export type {StartupRecord} from '../store/startup-record.js'

export interface StartupRequest {
  config: Config
  /** PLATFORM as typed, or undefined to detect it. */
  platform?: string
  userFlag?: string
  serviceName: string
  force: boolean
}

/** The startup platforms of the plugins installed now, and whether each is this machine's init system. */
export async function listPlatforms(
  config: Config,
): Promise<Array<{description: string; detected: boolean; name: string}>> {
  const {platforms} = await collectPlatforms(config)
  return Promise.all(
    platforms.map(async (platform) => ({
      name: platform.name,
      description: platform.description,
      detected: await Promise.resolve(platform.detect()).catch(() => false),
    })),
  )
}

export interface PrintedUnit {
  platform: string
  service_name: string
  unit_path: string
  unit: string
}

/** `startup --print`: the service definition as it would be written; needs no root, changes nothing. */
export async function renderUnit(request: StartupRequest, output: Output): Promise<PrintedUnit> {
  const {platform, resolved} = await prepare(request, output)
  const {context} = resolved
  if (resolved.dumpProblem) output.warn(resolved.dumpProblem.message)
  const unit = await platform.render(context)
  const unitPath = platform.unitPath(context)
  output.note(
    `this is the unit \`tspm startup ${platform.name}\` would write to ${unitPath} for ${context.user.name} (TSPM_HOME=${context.tspmHome}); nothing was changed`,
  )
  // Only the unit on stdout, so it can be piped into a file or a verifier.
  if (!output.json) process.stdout.write(unit)
  return {platform: platform.name, service_name: context.serviceName, unit_path: unitPath, unit}
}

/** `startup`: installs the service as one list of steps, undone when a step fails. */
export async function installStartup(request: StartupRequest, output: Output): Promise<StartupRecord> {
  const {platform, resolved, installed} = await prepare(request, output)
  const {context, paths} = resolved
  // The service would run `tspm resurrect` on that list at every boot, and fail.
  if (resolved.dumpProblem) throw resolved.dumpProblem
  await requireRoot(
    platform,
    context,
    [
      'startup',
      platform.name,
      '-u',
      context.user.name,
      ...serviceNameFlag(context),
      ...(request.force ? ['--force'] : []),
      ...(output.json ? ['--json'] : []),
    ],
    () => withoutRoot(installed, context),
  )
  if (!(await platform.detect())) {
    throw new TspmError(
      `${platform.name} is not the init system running on this machine (${platform.description}); nothing was changed; add --print to see the service definition anyway`,
      {exit: ExitCode.failure, code: 'platform_not_running'},
    )
  }

  const statusHint = platform.statusHint(context)
  const record = (): StartupRecord => ({
    platform: platform.name,
    scope: platform.scope?.(context) ?? 'system',
    service_name: context.serviceName,
    unit_path: platform.unitPath(context),
    user: context.user.name,
    home: context.user.home,
    tspm_home: context.tspmHome,
    runtime: context.runtime,
    tspm: context.tspmEntry,
    tspm_version: context.tspmVersion,
    start_command: platform.startCommand(context),
    installed_at: new Date().toISOString(),
  })
  const steps: StartupStep[] = [
    ...(context.isRoot && process.getuid?.() !== context.user.uid ? [userCanRunTspm(context)] : []),
    ...(existsSync(context.tspmHome) ? [] : [createTspmHome(context)]),
    ...platform.installSteps(context),
    {
      title: `Wait for the supervisor to answer for TSPM_HOME=${context.tspmHome}`,
      async run(line) {
        try {
          line(`supervisor pid ${await waitForSupervisor(paths, context.user.uid)}`)
        } catch (error) {
          throw new TspmError(`${(error as Error).message}; see ${statusHint}`)
        }
      },
    },
    {
      title: `Write ${paths.startupFile}`,
      run: () => writeStartupRecord(paths, record(), context.user),
      rollback: () => removeStartupRecord(paths),
    },
  ]
  await runSteps(steps, progressStyleFor(output.json))
  for (const warning of resolved.warnings) output.warn(warning)
  const written = readStartupRecord(paths) ?? record()
  // A user service starts with its user's own service manager, which runs from boot on only where that is set up (linger).
  const starts =
    written.scope === 'user' ? `tspm starts with the service manager of ${written.user}` : 'tspm starts at boot'
  output.log(
    `${starts}: the ${written.platform} service "${written.service_name}" runs \`tspm resurrect\` as ${written.user} for TSPM_HOME=${written.tspm_home}`,
  )
  output.log(`see it with: ${statusHint}`)
  return written
}

/** `unstartup`: removes what startup.json says was installed for this user's TSPM_HOME. */
export async function removeStartup(request: StartupRequest, output: Output): Promise<StartupRecord> {
  checkNames(request)
  // startup.json decides the platform and service name, so resolve the user and home first.
  const located = await resolveContext(contextRequest(request))
  const record = readStartupRecord(located.paths)
  if (!record) {
    throw new TspmError(
      `nothing to remove for TSPM_HOME=${located.context.tspmHome}: ${located.paths.startupFile} does not exist, so \`tspm startup\` did not install a service for it; ` +
        `if it was installed for another user or TSPM_HOME, run unstartup with -u USER or that TSPM_HOME`,
      {exit: ExitCode.failure, code: 'not_installed'},
    )
  }

  if (request.platform !== undefined && request.platform !== record.platform) {
    throw new TspmError(
      `${located.paths.startupFile} says the ${record.platform} service "${record.service_name}" was installed, not ${request.platform}; run \`tspm unstartup ${record.platform}\`; nothing was changed`,
      {exit: ExitCode.usage, code: 'platform_mismatch'},
    )
  }

  const platform = await choosePlatform(await installedPlatforms(request, output), record.platform)
  const {paths} = located
  const context: StartupContext = {...located.context, serviceName: record.service_name}
  await requireRoot(platform, context, [
    'unstartup',
    platform.name,
    '-u',
    context.user.name,
    ...(output.json ? ['--json'] : []),
  ])
  const steps: StartupStep[] = [
    ...platform.uninstallSteps(context, record),
    {title: `Remove ${paths.startupFile}`, run: () => removeStartupRecord(paths)},
  ]
  await runSteps(steps, progressStyleFor(output.json))
  for (const warning of located.warnings) output.warn(warning)
  output.log(
    `removed the ${record.platform} service "${record.service_name}" of ${record.user} (TSPM_HOME=${record.tspm_home}); the saved list is kept`,
  )
  return record
}

/** Names first: a bad one is reported before any plugin or the passwd database is asked. */
function checkNames(request: StartupRequest): void {
  checkServiceName(request.serviceName)
  if (request.userFlag !== undefined) checkUserName(request.userFlag, '-u/--user')
}

async function prepare(
  request: StartupRequest,
  output: Output,
): Promise<{installed: StartupPlatform[]; platform: StartupPlatform; resolved: ResolvedContext}> {
  checkNames(request)
  const installed = await installedPlatforms(request, output)
  const platform = await choosePlatform(installed, request.platform)
  const resolved = await resolveContext(contextRequest(request))
  return {installed, platform, resolved}
}

/** The installed platforms; each plugin that failed to answer becomes a warning. */
async function installedPlatforms(request: StartupRequest, output: Output): Promise<StartupPlatform[]> {
  const installed = await collectPlatforms(request.config)
  for (const problem of installed.problems) output.warn(problem)
  return installed.platforms
}

function contextRequest(request: StartupRequest) {
  return {
    userFlag: request.userFlag,
    serviceName: request.serviceName,
    force: request.force,
    tspmVersion: request.config.version,
  }
}

function serviceNameFlag(context: StartupContext): string[] {
  return context.serviceName === DEFAULT_SERVICE_NAME ? [] : ['--service-name', context.serviceName]
}

/**
 * Not root when root is needed: the exact command to run instead, and nothing changed; plus the
 * platforms that would do without root (a user service), when this machine runs one.
 */
async function requireRoot(
  platform: StartupPlatform,
  context: StartupContext,
  tspmArgs: string[],
  alternatives: () => Promise<StartupPlatform[]> = async () => [],
): Promise<void> {
  if (!platform.needsRoot(context) || context.isRoot) return
  const instead = (await alternatives()).map(
    (other) =>
      `\nOr, for a ${other.description}:\n  ${['tspm', 'startup', other.name, ...serviceNameFlag(context)].join(' ')}`,
  )
  throw new TspmError(
    `installing a ${platform.name} service needs root; nothing was changed. Run:\n  ${context.toolkit.sudoCommand(tspmArgs)}${instead.join('')}`,
    {exit: ExitCode.needsRoot, code: 'needs_root'},
  )
}

/** The installed platforms that install a service of the user's own, without root, on this machine. */
async function withoutRoot(installed: StartupPlatform[], context: StartupContext): Promise<StartupPlatform[]> {
  const candidates = installed.filter(
    (platform) => platform.scope?.(context) === 'user' && !platform.needsRoot(context),
  )
  const running = await Promise.all(candidates.map(async (platform) => Boolean(await platform.detect())))
  return candidates.filter((_, index) => running[index])
}

/**
 * Runs `tspm --version` as the service's user with the runtime and entry the service will use:
 * catches a Node or a tspm that user cannot reach (say, under /root) before anything is written.
 */
function userCanRunTspm(context: StartupContext): StartupStep {
  const {user, runtime, tspmEntry} = context
  return {
    title: `Check that ${user.name} can run ${runtime} ${tspmEntry}`,
    async run(output) {
      const result = await new Promise<{code: null | number; output: string}>((resolve, reject) => {
        const child = spawn(runtime, [tspmEntry, '--version'], {
          cwd: '/',
          uid: user.uid,
          gid: user.gid,
          env: {HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: context.path, TSPM_HOME: context.tspmHome},
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 30_000,
        })
        let text = ''
        child.stdout.on('data', (chunk) => {
          text += chunk
        })
        child.stderr.on('data', (chunk) => {
          text += chunk
        })
        child.once('error', reject)
        child.once('close', (code) => resolve({code, output: text.trim()}))
      })
      if (result.code !== 0) {
        throw new TspmError(
          `${user.name} cannot run ${runtime} ${tspmEntry} (exit ${result.code}: ${result.output.split('\n').at(-1) || 'no output'}); ` +
            `install Node and tspm where ${user.name} can read them (for example a global npm install), then run startup from there`,
        )
      }

      output(result.output.split('\n')[0] ?? '')
    },
  }
}

/** A TSPM_HOME that does not exist yet is created for the user (0700), as the supervisor would. */
function createTspmHome(context: StartupContext): StartupStep {
  const {tspmHome, user} = context
  return {
    title: `Create TSPM_HOME=${tspmHome} for ${user.name}`,
    run() {
      if (!existsSync(dirname(tspmHome))) {
        throw new TspmError(
          `the folder ${dirname(tspmHome)} that should hold TSPM_HOME does not exist; create it (owned by ${user.name}) or pick another TSPM_HOME`,
          {exit: ExitCode.usage, code: 'bad_home'},
        )
      }

      mkdirSync(tspmHome, {mode: 0o700})
      if (context.isRoot) chownSync(tspmHome, user.uid, user.gid)
    },
    rollback() {
      // Only if still empty: the service may have written into it before a later step failed.
      try {
        rmdirSync(tspmHome)
      } catch {
        // not empty: the user's data stays
      }
    },
  }
}
