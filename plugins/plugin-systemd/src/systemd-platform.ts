import type {
  ServiceInspection,
  StartupContext,
  StartupPlatform,
  StartupRecord,
  StartupStep,
  TemplateFormat,
} from 'tspm-cli'

import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {
  environmentAssignment,
  escapeUnitValue,
  execArgument,
  execCommand,
  pathSetting,
  readEnvironmentAssignment,
  readExecCommand,
} from './systemd-syntax.js'
import {UNIT_TEMPLATE} from './unit-template.js'

const UNIT_DIR = '/etc/systemd/system'
/** RestartSteps= and RestartMaxDelaySec= exist from this systemd version on. */
const RESTART_STEPS_SINCE = 254
/** Beyond the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_SECONDS = 10

const UNIT_FORMAT: TemplateFormat = {
  escape: escapeUnitValue,
  helpers: {environmentAssignment, execArgument, execCommand, pathSetting},
}

const unitName = (context: StartupContext) => `${context.serviceName}.service`
const unitPath = (context: StartupContext) => join(UNIT_DIR, unitName(context))

/** The major version `systemctl --version` reports, or undefined when there is no systemctl. */
async function systemdVersion(context: StartupContext): Promise<number | undefined> {
  const result = await context.exec('systemctl', ['--version'])
  const match = /^systemd (\d+)/.exec(result.stdout)
  return result.code === 0 && match ? Number(match[1]) : undefined
}

async function render(context: StartupContext): Promise<string> {
  const version = await systemdVersion(context)
  return context.renderTemplate(
    UNIT_TEMPLATE,
    {
      user: context.user.name,
      group: context.user.group,
      home: context.user.home,
      tspmHome: context.tspmHome,
      path: context.path,
      command: context.command,
      restartSteps: version !== undefined && version >= RESTART_STEPS_SINCE,
      timeoutStopSec: Math.ceil(context.maxKillTimeoutMs / 1000) + STOP_MARGIN_SECONDS,
      openFilesLimit: context.openFilesLimit,
    },
    UNIT_FORMAT,
  )
}

const systemctl = (context: StartupContext, ...args: string[]) => context.toolkit.run('systemctl', args)

function statusHint(context: StartupContext): string {
  return `sudo systemctl status ${context.serviceName} (log: sudo journalctl -u ${context.serviceName} -n 50)`
}

/** The unit file: rendered, checked by systemd-analyze when it is installed, written; an undo reloads systemd. */
function unitFile(context: StartupContext) {
  return context.toolkit.definitionFile({
    path: unitPath(context),
    mode: 0o644,
    render: () => render(context),
    tspmHomeOf: (text) => readEnvironmentAssignment(text, 'TSPM_HOME'),
    verify: {
      title: `Verify ${unitName(context)} with systemd-analyze`,
      async check(file, output) {
        if ((await context.exec('systemd-analyze', ['--version'])).code === 127) {
          output('systemd-analyze is not installed; skipped')
          return
        }

        const result = await context.exec('systemd-analyze', ['verify', file])
        // Its exit code is 0 for many problems: anything it says on stderr is one.
        if (result.code !== 0 || result.stderr.trim() !== '') {
          context.toolkit.fail(
            `systemd-analyze verify rejected the unit (exit ${result.code}):\n${result.stderr.trim().replaceAll(file, unitPath(context))}`,
          )
        }
      },
    },
    async afterUndo() {
      await context.exec('systemctl', ['daemon-reload'])
    },
  })
}

function daemonReload(context: StartupContext): StartupStep {
  return {
    title: 'Reload systemd (daemon-reload)',
    async run() {
      await systemctl(context, 'daemon-reload')
    },
  }
}

function enableAtBoot(context: StartupContext): StartupStep {
  const name = unitName(context)
  let wasEnabled = false
  return {
    title: `Enable ${name} at boot`,
    async run() {
      wasEnabled = (await context.exec('systemctl', ['is-enabled', name])).stdout.trim() === 'enabled'
      await systemctl(context, 'enable', name)
    },
    async rollback() {
      if (!wasEnabled) await systemctl(context, 'disable', name)
    },
  }
}

function startService(context: StartupContext): StartupStep {
  const name = unitName(context)
  return {
    title: `Start ${name}`,
    // restart, not start: a service already running from an earlier install picks up the new unit.
    async run() {
      await systemctl(context, 'restart', name)
    },
    async rollback() {
      await systemctl(context, 'stop', name)
    },
  }
}

function waitUntilActive(context: StartupContext): StartupStep {
  const name = unitName(context)
  return context.toolkit.waitUntilRunning({
    title: `Wait until ${name} is active`,
    hint: statusHint(context),
    async probe() {
      const state = (await context.exec('systemctl', ['is-active', name])).stdout.trim()
      if (state === 'failed') return {state: 'failed', detail: `${name} failed to start`}
      if (state !== 'active') return {state: 'waiting', detail: `${name} is still ${state}`}
      const pid = (await context.exec('systemctl', ['show', '--property=MainPID', '--value', name])).stdout.trim()
      return {state: 'running', detail: `active, main pid ${pid}`}
    },
  })
}

function installSteps(context: StartupContext): StartupStep[] {
  return [
    ...unitFile(context).installSteps(),
    daemonReload(context),
    enableAtBoot(context),
    context.handOverStep(),
    startService(context),
    waitUntilActive(context),
  ]
}

/**
 * Undoing an install: only a unit file that tspm wrote for this TSPM_HOME is stopped and removed.
 * startup.json belongs to the user, so a name in it alone must never make root stop or delete
 * some other service.
 */
function uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[] {
  const name = unitName(context)
  const path = unitPath(context)
  if (record.unit_path !== path) {
    context.toolkit.fail(
      `startup.json names the unit file ${JSON.stringify(record.unit_path)}, not ${path}; remove that service by hand`,
    )
  }

  const file = unitFile(context)
  return [
    file.checkStep(),
    file.ifOurs(`Stop ${name}`, async () => {
      await systemctl(context, 'stop', name)
    }),
    file.ifOurs(`Disable ${name}`, async () => {
      await systemctl(context, 'disable', name)
    }),
    file.removeStep(),
    daemonReload(context),
    {
      title: `Forget the failed state of ${name} (reset-failed)`,
      async run(output) {
        // Fails when systemd has nothing recorded for the unit, which is what we want anyway.
        if ((await context.exec('systemctl', ['reset-failed', name])).code !== 0) output('nothing to reset')
      },
    },
  ]
}

/** For `tspm doctor`: what the unit runs, for which TSPM_HOME, and what systemctl says of it. */
async function inspect(context: StartupContext, definition: string): Promise<ServiceInspection> {
  const name = unitName(context)
  const ask = async (question: 'is-active' | 'is-enabled') => {
    const result = await context.exec('systemctl', [question, name])
    return result.code === 127 ? undefined : result.stdout.trim() || result.stderr.trim() || `exit ${result.code}`
  }

  const [enabled, active] = [await ask('is-enabled'), await ask('is-active')]
  return {
    tspmHome: readEnvironmentAssignment(definition, 'TSPM_HOME'),
    command: readExecCommand(definition),
    enabled: enabled === undefined ? undefined : enabled === 'enabled',
    active: active === undefined ? undefined : active === 'active',
    state: enabled === undefined ? 'systemctl is not installed' : `${enabled}, ${active}`,
  }
}

export const systemdPlatform: StartupPlatform = {
  apiVersion: 1,
  name: 'systemd',
  description: 'Linux systemd system service',
  // The documented test (sd_booted): systemd is PID 1 when this folder exists. systemctl on PATH is not enough.
  detect: () => existsSync('/run/systemd/system'),
  unitPath,
  needsRoot: () => true,
  render,
  installSteps,
  uninstallSteps,
  startCommand: (context) => `sudo systemctl start ${context.serviceName}`,
  statusHint,
  inspect,
}
