import type {StartupContext, StartupPlatform, StartupRecord, StartupStep, TemplateFormat} from 'tspm-cli'

import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  checkEvalWord as checkEvalWordSyntax,
  checkInitScriptValue as checkInitScriptValueSyntax,
  evalWords,
  InitScriptValueError,
  readExportedVariable,
  shellWord,
} from './init-script-syntax.js'
import {INIT_SCRIPT_TEMPLATE} from './init-script-template.js'

const INIT_DIR = '/etc/init.d'
/** Where OpenRC keeps its state; `softlevel` exists once OpenRC booted the machine (openrc-run checks it too). */
const RC_SVCDIR = '/run/openrc'
const RUNLEVEL = 'default'
const RESPAWN_DELAY_SECONDS = 10
/** Beyond the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_SECONDS = 10
/** After SIGKILL, how long supervise-daemon waits for the supervisor to be gone. */
const KILL_WAIT_SECONDS = 5
/** rc-service and rc-update get this long beyond a stop's own deadline. */
const COMMAND_MARGIN_MS = 30_000

const INIT_SCRIPT_FORMAT: TemplateFormat = {escape: shellWord, helpers: {evalWords}}

const scriptPath = (context: StartupContext) => join(INIT_DIR, context.serviceName)

function logPaths(tspmHome: string): {stdout: string; stderr: string} {
  return {stdout: join(tspmHome, 'openrc-stdout.log'), stderr: join(tspmHome, 'openrc-stderr.log')}
}

/** Seconds from SIGTERM to SIGKILL on stop, as the systemd unit's TimeoutStopSec. */
const stopTimeoutSeconds = (context: StartupContext) => Math.ceil(context.maxKillTimeoutMs / 1000) + STOP_MARGIN_SECONDS

/** How long `rc-service stop` (or restart) may take: the whole stop schedule, and a margin. */
const stopCommandTimeoutMs = (context: StartupContext) =>
  (stopTimeoutSeconds(context) + KILL_WAIT_SECONDS) * 1000 + COMMAND_MARGIN_MS

/** A check of init-script-syntax.ts that fails as tspm's bad input (exit 2, bad_value), as the core's own checks do. */
function asBadInput(context: StartupContext, check: (value: string, what: string) => string) {
  return (value: string, what: string): string => {
    try {
      return check(value, what)
    } catch (error) {
      if (!(error instanceof InitScriptValueError)) throw error
      return context.toolkit.fail(`${error.message}; nothing was changed`, {exit: 'usage', code: 'bad_value'})
    }
  }
}

function render(context: StartupContext): string {
  const checkEvalWord = asBadInput(context, checkEvalWordSyntax)
  const checkInitScriptValue = asBadInput(context, checkInitScriptValueSyntax)
  const [runtime, ...args] = context.command
  const logs = logPaths(context.tspmHome)
  // Checked one by one first, so a bad value is reported by name rather than by the template:
  // all but TSPM_HOME pass through supervise-daemon.sh's eval (checkEvalWord).
  const user = checkEvalWord(context.user.name, 'the user name')
  const values = {
    runtime: checkEvalWord(runtime!, 'the runtime path'),
    args: args.map((word) => checkEvalWord(word, 'the tspm command')),
    userAndGroup: `${user}:${checkEvalWord(context.user.group, 'the group name')}`,
    home: checkEvalWord(context.user.home, `the home folder of ${user}`),
    tspmHome: checkInitScriptValue(context.tspmHome, 'TSPM_HOME'),
    pathAssignment: `PATH=${checkEvalWord(context.path, 'PATH')}`,
    stdoutPath: checkEvalWord(logs.stdout, 'the stdout log path'),
    stderrPath: checkEvalWord(logs.stderr, 'the stderr log path'),
  }
  return context.renderTemplate(
    INIT_SCRIPT_TEMPLATE,
    {
      ...values,
      description: `tspm process manager of ${user} (TSPM_HOME=${values.tspmHome})`,
      respawnDelay: RESPAWN_DELAY_SECONDS,
      retry: `SIGTERM/${stopTimeoutSeconds(context)}/SIGKILL/${KILL_WAIT_SECONDS}`,
      ulimit: `-n ${context.openFilesLimit}`,
    },
    INIT_SCRIPT_FORMAT,
  )
}

function statusHint(context: StartupContext): string {
  return `sudo rc-service ${context.serviceName} status (log: ${logPaths(context.tspmHome).stderr})`
}

const rcService = (context: StartupContext, ...args: string[]) =>
  context.toolkit.run('rc-service', [context.serviceName, ...args], {timeoutMs: stopCommandTimeoutMs(context)})

/** Whether `rc-update show` lists the service in the runlevel. */
async function inRunlevel(context: StartupContext, runlevel: string): Promise<boolean> {
  const {stdout} = await context.toolkit.run('rc-update', ['show', runlevel])
  // Lines are `<padding><service> | <runlevels>`.
  return stdout.split('\n').some((line) => line.split('|')[0]!.trim() === context.serviceName)
}

/** The init script: rendered, checked by `sh -n`, written 0755. */
function initScript(context: StartupContext) {
  const path = scriptPath(context)
  return context.toolkit.definitionFile({
    path,
    mode: 0o755,
    render: () => render(context),
    tspmHomeOf: (text) => readExportedVariable(text, 'TSPM_HOME'),
    verify: {
      title: `Check ${path} with sh -n`,
      async check(file) {
        const result = await context.exec('/bin/sh', ['-n', file])
        if (result.code !== 0) {
          context.toolkit.fail(
            `sh -n rejected the init script (exit ${result.code}): ${(result.stderr || result.stdout).trim().replaceAll(file, path)}`,
          )
        }
      },
    },
  })
}

function addToRunlevel(context: StartupContext): StartupStep {
  const name = context.serviceName
  let wasThere = false
  return {
    title: `Add ${name} to the ${RUNLEVEL} runlevel (rc-update add)`,
    async run(output) {
      wasThere = await inRunlevel(context, RUNLEVEL)
      if (wasThere) return output(`already in the ${RUNLEVEL} runlevel`)
      await context.toolkit.run('rc-update', ['add', name, RUNLEVEL])
    },
    async rollback() {
      if (!wasThere) await context.toolkit.run('rc-update', ['del', name, RUNLEVEL])
    },
  }
}

function startService(context: StartupContext): StartupStep {
  return {
    title: `Start ${context.serviceName} (rc-service restart)`,
    // restart, not start: a service still running from an earlier install picks up the new script
    // (its supervisor was handed over already; supervise-daemon would start it again in 10 s).
    async run() {
      await rcService(context, 'restart')
    },
    async rollback() {
      await rcService(context, 'stop')
    },
  }
}

/** The pid supervise-daemon started last, from OpenRC's state (`service_get_value child_pid`). */
function childPid(context: StartupContext): string | undefined {
  try {
    return readFileSync(join(RC_SVCDIR, 'options', context.serviceName, 'child_pid'), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function waitUntilStarted(context: StartupContext): StartupStep {
  const name = context.serviceName
  return context.toolkit.waitUntilRunning({
    title: `Wait until ${name} is started`,
    hint: statusHint(context),
    async probe() {
      // openrc-run's status: 0 started, 8 starting, 3 stopped, 32 crashed (supervise-daemon is gone).
      const result = await context.exec('rc-service', [name, 'status'])
      const said = (result.stdout + result.stderr).replace(/^\s*\*\s*/, '').trim()
      if (result.code === 8) return {state: 'waiting', detail: `${name} is starting`}
      if (result.code !== 0)
        return {state: 'failed', detail: `${name} did not start (${said || `exit ${result.code}`})`}
      const pid = childPid(context)
      return pid
        ? {state: 'running', detail: `started, supervise-daemon runs pid ${pid}`}
        : {state: 'waiting', detail: `${name} is started, and supervise-daemon has not started tspm yet`}
    },
  })
}

function installSteps(context: StartupContext): StartupStep[] {
  return [
    ...initScript(context).installSteps(),
    addToRunlevel(context),
    context.handOverStep(),
    startService(context),
    waitUntilStarted(context),
  ]
}

/**
 * Undoing an install: only an init script that tspm wrote for this TSPM_HOME is stopped and
 * removed. startup.json belongs to the user, so a path in it alone must never make root stop or
 * delete some other service.
 */
function uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[] {
  const name = context.serviceName
  const path = scriptPath(context)
  if (record.unit_path !== path) {
    context.toolkit.fail(
      `startup.json names the init script ${JSON.stringify(record.unit_path)}, not ${path}; remove that service by hand; nothing was changed`,
    )
  }

  const file = initScript(context)
  return [
    file.checkStep(),
    file.ifOurs(`Stop ${name} (rc-service stop)`, async () => {
      // Stops the supervisor (SIGTERM; it stops its apps within their kill_timeout); a stopped service says so and succeeds.
      await rcService(context, 'stop')
    }),
    file.ifOurs(`Remove ${name} from every runlevel (rc-update del)`, async (output) => {
      const result = await context.exec('rc-update', ['--all', 'del', name])
      if (result.code === 0) return
      // It fails when the service is in no runlevel, which is what we want anyway.
      if (await inRunlevel(context, RUNLEVEL)) {
        context.toolkit.fail(
          `rc-update --all del ${name} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`,
        )
      }

      output('in no runlevel')
    }),
    file.removeStep(),
  ]
}

export const openrcPlatform: StartupPlatform = {
  apiVersion: 1,
  name: 'openrc',
  description: 'Linux OpenRC service, kept up by supervise-daemon',
  detect: () => existsSync(join(RC_SVCDIR, 'softlevel')),
  unitPath: scriptPath,
  needsRoot: () => true,
  render,
  installSteps,
  uninstallSteps,
  startCommand: (context) => `sudo rc-service ${context.serviceName} start`,
  statusHint,
}
