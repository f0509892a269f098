import type {StartupContext, StartupPlatform, StartupRecord, StartupStep, TemplateFormat} from 'tspm-cli'

import {mkdirSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {escapePlistValue, readEnvironmentVariable} from './plist-syntax.js'
import {PLIST_TEMPLATE} from './plist-template.js'

const LAUNCHCTL = '/bin/launchctl'
const PLUTIL = '/usr/bin/plutil'
/** Label and file name: `io.tspm.<service-name>`, `io.tspm.<service-name>.plist`. */
const LABEL_PREFIX = 'io.tspm.'
const DAEMONS_DIR = '/Library/LaunchDaemons'
const THROTTLE_INTERVAL_SECONDS = 10
/** Beyond the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_SECONDS = 10

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

function jobFor(kind: Kind, serviceName: string, user: {uid: number; home: string}): Job {
  const label = `${LABEL_PREFIX}${serviceName}`
  const path =
    kind === 'daemon'
      ? join(DAEMONS_DIR, `${label}.plist`)
      : join(user.home, 'Library', 'LaunchAgents', `${label}.plist`)
  const domain = kind === 'daemon' ? 'system' : `gui/${user.uid}`
  return {kind, label, path, domain, target: `${domain}/${label}`}
}

const jobOf = (context: StartupContext) =>
  jobFor(context.isRoot ? 'daemon' : 'agent', context.serviceName, context.user)

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
  const {checkPrintable} = context.toolkit
  // Checked one by one first, so a bad value is reported by name rather than by the template.
  const values = {
    label: checkPrintable(job.label, 'the label'),
    userName: checkPrintable(context.user.name, 'the user name'),
    command: context.command.map((word) => checkPrintable(word, 'the command')),
    tspmHome: checkPrintable(context.tspmHome, 'TSPM_HOME'),
    path: checkPrintable(context.path, 'PATH'),
    workingDirectory: checkPrintable(context.user.home, `the home folder of ${context.user.name}`),
    stdoutPath: checkPrintable(logs.stdout, 'the stdout log path'),
    stderrPath: checkPrintable(logs.stderr, 'the stderr log path'),
  }
  return context.renderTemplate(
    PLIST_TEMPLATE,
    {
      ...values,
      daemon: job.kind === 'daemon',
      throttleInterval: THROTTLE_INTERVAL_SECONDS,
      exitTimeOut: Math.ceil(context.maxKillTimeoutMs / 1000) + STOP_MARGIN_SECONDS,
      openFilesLimit: context.openFilesLimit,
    },
    PLIST_FORMAT,
  )
}

function statusHint(context: StartupContext): string {
  const job = jobOf(context)
  return `${job.kind === 'daemon' ? 'sudo ' : ''}launchctl print ${job.target} (log: ${logPaths(context.tspmHome).stderr})`
}

/** The steps only make sense where launchd runs: anywhere else, refuse before anything is done. */
function requireMacOS(context: StartupContext, action: string): void {
  if (process.platform !== 'darwin') {
    context.toolkit.fail(
      `launchd runs on macOS only, and this machine runs ${process.platform}: cannot ${action}; nothing was changed. ` +
        '`tspm startup launchd --print` shows the plist it would install',
      {code: 'platform_not_running'},
    )
  }
}

const launchctl = (context: StartupContext, ...args: string[]) => context.toolkit.run(LAUNCHCTL, args)

/** Whether launchd has the job loaded in its domain (`launchctl print` knows it). */
async function isLoaded(context: StartupContext, job: Job): Promise<boolean> {
  return (await context.exec(LAUNCHCTL, ['print', job.target])).code === 0
}

/** The plist: rendered, linted by plutil, written (its folder created for a first agent). */
function plistFile(context: StartupContext, job: Job) {
  return context.toolkit.definitionFile({
    path: job.path,
    mode: 0o644,
    render() {
      // ~/Library/LaunchAgents may not exist yet for a user who never had an agent.
      mkdirSync(dirname(job.path), {recursive: true, mode: 0o755})
      return render(context)
    },
    tspmHomeOf: (text) => readEnvironmentVariable(text, 'TSPM_HOME'),
    verify: {
      title: `Check ${job.label}.plist with plutil -lint`,
      async check(file, output) {
        const result = await context.exec(PLUTIL, ['-lint', file])
        if (result.code === 127) return output('plutil is not installed; skipped')
        if (result.code !== 0) {
          context.toolkit.fail(
            `plutil -lint rejected the plist (exit ${result.code}): ${(result.stdout + result.stderr).trim().replaceAll(file, job.path)}`,
          )
        }
      },
    },
  })
}

function enableJob(context: StartupContext, job: Job): StartupStep {
  // Before bootstrap: a job that was disabled (`launchctl disable`) cannot be bootstrapped.
  return {
    title: `Enable ${job.target}`,
    async run() {
      await launchctl(context, 'enable', job.target)
    },
  }
}

function unloadEarlierJob(context: StartupContext, job: Job): StartupStep {
  return {
    title: `Unload ${job.target} if an earlier install loaded it`,
    async run(output) {
      if (!(await isLoaded(context, job))) return output('not loaded')
      // bootout stops the job (SIGTERM, then SIGKILL after ExitTimeOut) and unloads it.
      await launchctl(context, 'bootout', job.target)
      output('unloaded; the new plist is loaded next')
    },
  }
}

function bootstrapJob(context: StartupContext, job: Job): StartupStep {
  return {
    title: `Load ${job.path} into ${job.domain} (launchctl bootstrap)`,
    async run() {
      const result = await context.exec(LAUNCHCTL, ['bootstrap', job.domain, job.path])
      if (result.code === 0) return
      const why =
        job.kind === 'agent'
          ? `; a LaunchAgent loads into the login session of ${context.user.name} (${job.domain}): log in at the screen first, ` +
            `or install a LaunchDaemon that starts at boot without a login: ${context.toolkit.sudoCommand(['startup', 'launchd', '-u', context.user.name])}`
          : ''
      context.toolkit.fail(
        `launchctl bootstrap ${job.domain} ${job.path} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}${why}`,
      )
    },
    async rollback() {
      await context.exec(LAUNCHCTL, ['bootout', job.target])
    },
  }
}

function kickstartJob(context: StartupContext, job: Job): StartupStep {
  // RunAtLoad has usually started it already; kickstart (without -k) starts it if not.
  return {
    title: `Start ${job.target} (launchctl kickstart)`,
    async run() {
      await launchctl(context, 'kickstart', job.target)
    },
  }
}

function waitUntilJobRuns(context: StartupContext, job: Job): StartupStep {
  return context.toolkit.waitUntilRunning({
    title: `Wait until ${job.target} is running`,
    hint: statusHint(context),
    async probe() {
      const {stdout} = await context.exec(LAUNCHCTL, ['print', job.target])
      const state = /^\s*state = (.+)$/m.exec(stdout)?.[1]?.trim()
      const pid = /^\s*pid = (\d+)$/m.exec(stdout)?.[1]
      if (state === 'running' && pid) return {state: 'running', detail: `running, pid ${pid}`}
      const lastExit = /^\s*last exit code = (.+)$/m.exec(stdout)?.[1]?.trim()
      return {
        state: 'waiting',
        detail: `${job.target} is ${state ?? 'not known to launchd'}${lastExit ? ` (last exit code ${lastExit})` : ''}`,
      }
    },
  })
}

function installSteps(context: StartupContext): StartupStep[] {
  requireMacOS(context, 'install a launchd job')
  const job = jobOf(context)
  return [
    ...plistFile(context, job).installSteps(),
    enableJob(context, job),
    // Before the unload, while an earlier install's job may still run the supervisor: the hand-over
    // checks that the list is saved and stops that supervisor cleanly (a clean exit, which launchd
    // does not restart), so the new job brings the processes back.
    context.handOverStep(),
    unloadEarlierJob(context, job),
    bootstrapJob(context, job),
    kickstartJob(context, job),
    waitUntilJobRuns(context, job),
  ]
}

/**
 * Undoing an install: only a plist that tspm wrote for this TSPM_HOME is unloaded and removed.
 * startup.json belongs to the user, so a path in it alone must never make root unload or delete
 * some other job. The core removes startup.json after these steps.
 */
function uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[] {
  requireMacOS(context, 'remove a launchd job')
  const daemon = jobFor('daemon', context.serviceName, context.user)
  const agent = jobFor('agent', context.serviceName, context.user)
  const job = record.unit_path === daemon.path ? daemon : record.unit_path === agent.path ? agent : undefined
  if (!job) {
    return context.toolkit.fail(
      `startup.json names the plist ${JSON.stringify(record.unit_path)}, which is neither ${daemon.path} nor ${agent.path}; remove that job by hand; nothing was changed`,
    )
  }

  if (job.kind === 'daemon' && !context.isRoot) {
    context.toolkit.fail(
      `${job.path} is a LaunchDaemon, which only root can remove; nothing was changed. Run:\n  ${context.toolkit.sudoCommand(['unstartup', 'launchd', '-u', context.user.name])}`,
      {exit: 'needsRoot', code: 'needs_root'},
    )
  }

  const file = plistFile(context, job)
  return [
    file.checkStep(),
    file.ifOurs(`Unload ${job.target} (launchctl bootout)`, async (output) => {
      if (!(await isLoaded(context, job))) return output('not loaded')
      // Stops the supervisor (SIGTERM; it stops its apps within their kill_timeout) and unloads it.
      await launchctl(context, 'bootout', job.target)
    }),
    file.removeStep(),
  ]
}

export const launchdPlatform: StartupPlatform = {
  apiVersion: 1,
  name: 'launchd',
  description: 'macOS only: a LaunchAgent for your user, or a LaunchDaemon as root',
  detect: () => process.platform === 'darwin',
  unitPath: (context) => jobOf(context).path,
  needsRoot,
  render,
  installSteps,
  uninstallSteps,
  startCommand: (context) =>
    `${jobOf(context).kind === 'daemon' ? 'sudo ' : ''}launchctl kickstart ${jobOf(context).target}`,
  statusHint,
}
