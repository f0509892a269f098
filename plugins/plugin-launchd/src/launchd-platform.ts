import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import type {CommandResult, StartupContext, StartupPlatform, StartupRecord, StartupStep, TemplateFormat} from 'tspm'

import {checkPlistValue, escapePlistValue, readEnvironmentVariable} from './plist-syntax.js'
import {PLIST_TEMPLATE} from './plist-template.js'

const LAUNCHCTL = '/bin/launchctl'
const PLUTIL = '/usr/bin/plutil'
/** Label and file name: `io.tspm.<service-name>`, `io.tspm.<service-name>.plist`. */
const LABEL_PREFIX = 'io.tspm.'
const DAEMONS_DIR = '/Library/LaunchDaemons'
const THROTTLE_INTERVAL_SECONDS = 10
/** Beyond the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_SECONDS = 10
const RUNNING_TIMEOUT_MS = 30_000
const POLL_MS = 200

/** Exit codes of tspm's table (src/exit-codes.ts); the plugin has no runtime import of the core. */
const EXIT_FAILURE = 1
const EXIT_NEEDS_ROOT = 5

class LaunchdError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly code = 'launchd',
  ) {
    super(message)
    this.name = 'LaunchdError'
  }
}

const PLIST_FORMAT: TemplateFormat = {escape: escapePlistValue}

/**
 * A LaunchDaemon (system domain, with UserName) when tspm runs as root, else a LaunchAgent of the
 * calling user (their gui/<uid> domain, loaded at login).
 */
type Kind = 'agent' | 'daemon'

interface Job {
  kind: Kind
  label: string
  path: string
  /** `system` or `gui/<uid>`. */
  domain: string
  /** `<domain>/<label>`, what launchctl's enable, kickstart, print and bootout take. */
  target: string
}

function labelOf(serviceName: string): string {
  return `${LABEL_PREFIX}${serviceName}`
}

function jobFor(kind: Kind, serviceName: string, user: {uid: number; home: string}): Job {
  const label = labelOf(serviceName)
  const path =
    kind === 'daemon'
      ? join(DAEMONS_DIR, `${label}.plist`)
      : join(user.home, 'Library', 'LaunchAgents', `${label}.plist`)
  const domain = kind === 'daemon' ? 'system' : `gui/${user.uid}`
  return {kind, label, path, domain, target: `${domain}/${label}`}
}

function jobOf(context: StartupContext): Job {
  return jobFor(context.isRoot ? 'daemon' : 'agent', context.serviceName, context.user)
}

function unitPath(context: StartupContext): string {
  return jobOf(context).path
}

/** Root for a daemon, and for an agent of another user (their home and their gui domain). */
function needsRoot(context: StartupContext): boolean {
  return jobOf(context).kind === 'daemon' || context.user.uid !== process.getuid?.()
}

function logPaths(tspmHome: string): {stdout: string; stderr: string} {
  return {stdout: join(tspmHome, 'launchd-stdout.log'), stderr: join(tspmHome, 'launchd-stderr.log')}
}

function render(context: StartupContext): string {
  const job = jobOf(context)
  const logs = logPaths(context.tspmHome)
  // Checked one by one first, so a bad value is reported by name rather than by the template.
  const values = {
    label: checkPlistValue(job.label, 'the label'),
    userName: checkPlistValue(context.user.name, 'the user name'),
    runtime: checkPlistValue(context.runtime, 'the runtime path'),
    tspmEntry: checkPlistValue(context.tspmEntry, 'the tspm path'),
    tspmHome: checkPlistValue(context.tspmHome, 'TSPM_HOME'),
    path: checkPlistValue(context.path, 'PATH'),
    workingDirectory: checkPlistValue(context.user.home, `the home folder of ${context.user.name}`),
    stdoutPath: checkPlistValue(logs.stdout, 'the stdout log path'),
    stderrPath: checkPlistValue(logs.stderr, 'the stderr log path'),
  }
  return context.renderTemplate(
    PLIST_TEMPLATE,
    {
      ...values,
      daemon: job.kind === 'daemon',
      throttleInterval: THROTTLE_INTERVAL_SECONDS,
      exitTimeOut: Math.ceil(context.maxKillTimeoutMs / 1000) + STOP_MARGIN_SECONDS,
    },
    PLIST_FORMAT,
  )
}

function statusHint(context: StartupContext): string {
  const job = jobOf(context)
  return `${job.kind === 'daemon' ? 'sudo ' : ''}launchctl print ${job.target} (log: ${logPaths(context.tspmHome).stderr})`
}

/** The steps only make sense where launchd runs: anywhere else, refuse before anything is done. */
function requireMacOS(action: string): void {
  if (process.platform !== 'darwin') {
    throw new LaunchdError(
      `launchd runs on macOS only, and this machine runs ${process.platform}: cannot ${action}; nothing was changed. ` +
        '`tspm startup launchd --print` shows the plist it would install',
      EXIT_FAILURE,
      'platform_not_running',
    )
  }
}

/** Quotes one word for a POSIX shell, for commands shown to the user to copy (never run here). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * The exact command to run tspm as root for this user and TSPM_HOME: sudo resets the environment,
 * so TSPM_HOME goes on the command line, and root's PATH may not have tspm, so absolute paths.
 */
function sudoCommand(context: StartupContext, args: string[]): string {
  return ['sudo', `TSPM_HOME=${context.tspmHome}`, context.runtime, context.tspmEntry, ...args]
    .map(shellQuote)
    .join(' ')
}

/** launchctl with its arguments; a non-zero exit fails the step with launchctl's own words. */
async function launchctl(context: StartupContext, args: string[], hint = ''): Promise<CommandResult> {
  const result = await context.exec(LAUNCHCTL, args)
  if (result.code !== 0) {
    const said = (result.stderr || result.stdout).trim()
    throw new LaunchdError(`launchctl ${args.join(' ')} failed (exit ${result.code})${said ? `: ${said}` : ''}${hint}`)
  }
  return result
}

/** Whether launchd has the job loaded in its domain (`launchctl print` knows it). */
async function isLoaded(context: StartupContext, job: Job): Promise<boolean> {
  return (await context.exec(LAUNCHCTL, ['print', job.target])).code === 0
}

function installSteps(context: StartupContext): StartupStep[] {
  requireMacOS('install a launchd job')
  const job = jobOf(context)
  const hint = statusHint(context)
  let plist = ''
  let previous: {text: string; mode: number} | undefined

  return [
    {
      title: `Render ${job.label}.plist`,
      run(output) {
        plist = render(context)
        if (existsSync(job.path)) {
          const text = readFileSync(job.path, 'utf8')
          const installedFor = readEnvironmentVariable(text, 'TSPM_HOME')
          if (installedFor !== context.tspmHome && !context.force) {
            throw new LaunchdError(
              `${job.path} already exists and ${installedFor === undefined ? 'was not written by tspm' : `belongs to TSPM_HOME=${installedFor}`}; ` +
                'choose another --service-name, or add --force to replace it',
            )
          }
          previous = {text, mode: statSync(job.path).mode & 0o7777}
          output(`replaces the existing ${job.path}`)
        }
      },
    },
    {
      title: `Check ${job.label}.plist with plutil -lint`,
      async run(output) {
        // A private folder, so nobody can swap the file between the write and the check.
        const folder = mkdtempSync(join(tmpdir(), 'tspm-plist-'))
        try {
          const file = join(folder, `${job.label}.plist`)
          writeFileSync(file, plist, {mode: 0o600})
          const result = await context.exec(PLUTIL, ['-lint', file])
          if (result.code === 127) {
            output('plutil is not installed; skipped')
            return
          }
          if (result.code !== 0)
            throw new LaunchdError(
              `plutil -lint rejected the plist (exit ${result.code}): ${(result.stdout + result.stderr).trim().replaceAll(file, job.path)}`,
            )
        } finally {
          rmSync(folder, {recursive: true, force: true})
        }
      },
    },
    {
      title: `Write ${job.path}`,
      run() {
        // ~/Library/LaunchAgents may not exist yet for a user who never had an agent.
        mkdirSync(dirname(job.path), {recursive: true, mode: 0o755})
        context.writeFile(job.path, plist, 0o644)
      },
      rollback() {
        // The earlier plist comes back for the next boot. An earlier job unloaded below is not
        // loaded again here: the hand-over's undo has started its supervisor by hand already.
        if (previous) context.writeFile(job.path, previous.text, previous.mode)
        else rmSync(job.path, {force: true})
      },
    },
    {
      // Before bootstrap: a job that was disabled (`launchctl disable`) cannot be bootstrapped.
      title: `Enable ${job.target}`,
      run: async () => {
        await launchctl(context, ['enable', job.target])
      },
    },
    // Before the unload, while an earlier install's job may still run the supervisor: the hand-over
    // checks that the list is saved and stops that supervisor cleanly (a clean exit, which launchd
    // does not restart), so the new job brings the processes back.
    context.handOverStep(),
    {
      title: `Unload ${job.target} if an earlier install loaded it`,
      async run(output) {
        if (!(await isLoaded(context, job))) {
          output('not loaded')
          return
        }
        // bootout stops the job (SIGTERM, then SIGKILL after ExitTimeOut) and unloads it.
        await launchctl(context, ['bootout', job.target])
        output('unloaded; the new plist is loaded next')
      },
    },
    {
      title: `Load ${job.path} into ${job.domain} (launchctl bootstrap)`,
      async run() {
        const why =
          job.kind === 'agent'
            ? `; a LaunchAgent loads into the login session of ${context.user.name} (${job.domain}): log in at the screen first, ` +
              `or install a LaunchDaemon that starts at boot without a login: ${sudoCommand(context, ['startup', 'launchd', '-u', context.user.name])}`
            : ''
        await launchctl(context, ['bootstrap', job.domain, job.path], why)
      },
      async rollback() {
        await context.exec(LAUNCHCTL, ['bootout', job.target])
      },
    },
    {
      // RunAtLoad has usually started it already; kickstart (without -k) starts it if not.
      title: `Start ${job.target} (launchctl kickstart)`,
      run: async () => {
        await launchctl(context, ['kickstart', job.target])
      },
    },
    {
      title: `Wait until ${job.target} is running`,
      async run(output) {
        const deadline = Date.now() + RUNNING_TIMEOUT_MS
        for (;;) {
          const result = await context.exec(LAUNCHCTL, ['print', job.target])
          const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim()
          const pid = /^\s*pid = (\d+)$/m.exec(result.stdout)?.[1]
          if (state === 'running' && pid) {
            output(`running, pid ${pid}`)
            return
          }
          if (Date.now() > deadline) {
            const lastExit = /^\s*last exit code = (.+)$/m.exec(result.stdout)?.[1]?.trim()
            throw new LaunchdError(
              `${job.target} is ${state ?? 'not known to launchd'} after ${RUNNING_TIMEOUT_MS / 1000} s${lastExit ? ` (last exit code ${lastExit})` : ''}; see ${hint}`,
            )
          }
          await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        }
      },
    },
  ]
}

/**
 * Undoing an install: only a plist that tspm wrote for this TSPM_HOME is unloaded and removed.
 * startup.json belongs to the user, so a path in it alone must never make root unload or delete
 * some other job. The core removes startup.json after these steps.
 */
function uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[] {
  requireMacOS('remove a launchd job')
  const daemon = jobFor('daemon', context.serviceName, context.user)
  const agent = jobFor('agent', context.serviceName, context.user)
  const job = record.unit_path === daemon.path ? daemon : record.unit_path === agent.path ? agent : undefined
  if (!job) {
    throw new LaunchdError(
      `startup.json names the plist ${JSON.stringify(record.unit_path)}, which is neither ${daemon.path} nor ${agent.path}; remove that job by hand; nothing was changed`,
    )
  }
  if (job.kind === 'daemon' && !context.isRoot) {
    throw new LaunchdError(
      `${job.path} is a LaunchDaemon, which only root can remove; nothing was changed. Run:\n  ${sudoCommand(context, ['unstartup', 'launchd', '-u', context.user.name])}`,
      EXIT_NEEDS_ROOT,
      'needs_root',
    )
  }
  let ours = false
  return [
    {
      title: `Check ${job.path}`,
      run(output) {
        if (!existsSync(job.path)) {
          output('already removed')
          return
        }
        const installedFor = readEnvironmentVariable(readFileSync(job.path, 'utf8'), 'TSPM_HOME')
        if (installedFor !== context.tspmHome) {
          throw new LaunchdError(
            `${job.path} belongs to ${installedFor === undefined ? 'no TSPM_HOME (it was not written by tspm)' : `TSPM_HOME=${installedFor}`}, not to ${context.tspmHome}; it was left alone`,
          )
        }
        ours = true
      },
    },
    {
      title: `Unload ${job.target} (launchctl bootout)`,
      async run(output) {
        if (!ours) return output(`skipped: no plist of this TSPM_HOME at ${job.path}`)
        if (!(await isLoaded(context, job))) return output('not loaded')
        // Stops the supervisor (SIGTERM; it stops its apps within their kill_timeout) and unloads it.
        await launchctl(context, ['bootout', job.target])
      },
    },
    {
      title: `Remove ${job.path}`,
      run(output) {
        if (!ours) return output('skipped')
        rmSync(job.path, {force: true})
      },
    },
  ]
}

export const launchdPlatform: StartupPlatform = {
  name: 'launchd',
  description: 'macOS only: a LaunchAgent for your user, or a LaunchDaemon as root',
  detect: () => process.platform === 'darwin',
  unitPath,
  needsRoot,
  render,
  installSteps,
  uninstallSteps,
  statusHint,
}
