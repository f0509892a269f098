import type {
  ServiceInspection,
  StartupContext,
  StartupPlatform,
  StartupRecord,
  StartupScope,
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

/** What differs between the machine's service manager and a user's own (`systemctl --user`). */
export interface Manager {
  /** The platform's name, as users type it after `tspm startup`. */
  platform: string
  scope: StartupScope
  unitDir(context: StartupContext): string
  /** The flag that makes systemctl and systemd-analyze speak to this manager. */
  flags: string[]
  /** The environment that reaches this manager (none for the system's). */
  env?(context: StartupContext): Record<string, string>
  /** How a person runs systemctl and journalctl for this manager, in hints. */
  systemctl: string
  journalctl: string
  /** When an enabled unit starts, for the title of the enable step. */
  startsWhen(context: StartupContext): string
}

const SYSTEM_MANAGER: Manager = {
  platform: 'systemd',
  scope: 'system',
  unitDir: () => UNIT_DIR,
  flags: [],
  systemctl: 'sudo systemctl',
  journalctl: 'sudo journalctl',
  startsWhen: () => 'at boot',
}

const unitName = (context: StartupContext) => `${context.serviceName}.service`
const unitPathOf = (manager: Manager, context: StartupContext) => join(manager.unitDir(context), unitName(context))

/** The major version `systemctl --version` reports, or undefined when there is no systemctl. */
async function systemdVersion(context: StartupContext): Promise<number | undefined> {
  const result = await context.exec('systemctl', ['--version'])
  const match = /^systemd (\d+)/.exec(result.stdout)
  return result.code === 0 && match ? Number(match[1]) : undefined
}

async function render(manager: Manager, context: StartupContext): Promise<string> {
  const version = await systemdVersion(context)
  return context.renderTemplate(
    UNIT_TEMPLATE,
    {
      platform: manager.platform,
      system: manager.scope === 'system',
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

/** systemctl for this manager; fails with its own words on a non-zero exit. */
const systemctl = (manager: Manager, context: StartupContext, ...args: string[]) =>
  context.toolkit.run('systemctl', [...manager.flags, ...args], {env: manager.env?.(context)})
/** systemctl for this manager, for an answer: never fails. */
const askSystemctl = (manager: Manager, context: StartupContext, ...args: string[]) =>
  context.exec('systemctl', [...manager.flags, ...args], {env: manager.env?.(context)})

function statusHint(manager: Manager, context: StartupContext): string {
  const name = context.serviceName
  return `${manager.systemctl} status ${name} (log: ${manager.journalctl} -u ${name} -n 50)`
}

/** The unit file: rendered, checked by systemd-analyze when it is installed, written; an undo reloads systemd. */
function unitFile(manager: Manager, context: StartupContext) {
  const unitPath = unitPathOf(manager, context)
  return context.toolkit.definitionFile({
    path: unitPath,
    mode: 0o644,
    render: () => render(manager, context),
    tspmHomeOf: (text) => readEnvironmentAssignment(text, 'TSPM_HOME'),
    verify: {
      title: `Verify ${unitName(context)} with systemd-analyze`,
      async check(file, output) {
        if ((await context.exec('systemd-analyze', ['--version'])).code === 127) {
          output('systemd-analyze is not installed; skipped')
          return
        }

        const result = await context.exec('systemd-analyze', [...manager.flags, 'verify', file], {
          env: manager.env?.(context),
        })
        // Its exit code is 0 for many problems: anything it says on stderr is one.
        if (result.code !== 0 || result.stderr.trim() !== '') {
          context.toolkit.fail(
            `systemd-analyze verify rejected the unit (exit ${result.code}):\n${result.stderr.trim().replaceAll(file, unitPath)}`,
          )
        }
      },
    },
    async afterUndo() {
      await askSystemctl(manager, context, 'daemon-reload')
    },
  })
}

function daemonReload(manager: Manager, context: StartupContext): StartupStep {
  return {
    title: `Reload ${['systemd', ...manager.flags].join(' ')} (daemon-reload)`,
    async run() {
      await systemctl(manager, context, 'daemon-reload')
    },
  }
}

function enableAtBoot(manager: Manager, context: StartupContext): StartupStep {
  const name = unitName(context)
  let wasEnabled = false
  return {
    title: `Enable ${name} ${manager.startsWhen(context)}`,
    async run() {
      wasEnabled = (await askSystemctl(manager, context, 'is-enabled', name)).stdout.trim() === 'enabled'
      await systemctl(manager, context, 'enable', name)
    },
    async rollback() {
      if (!wasEnabled) await systemctl(manager, context, 'disable', name)
    },
  }
}

function startService(manager: Manager, context: StartupContext): StartupStep {
  const name = unitName(context)
  return {
    title: `Start ${name}`,
    // restart, not start: a service already running from an earlier install picks up the new unit.
    async run() {
      await systemctl(manager, context, 'restart', name)
    },
    async rollback() {
      await systemctl(manager, context, 'stop', name)
    },
  }
}

function waitUntilActive(manager: Manager, context: StartupContext): StartupStep {
  const name = unitName(context)
  return context.toolkit.waitUntilRunning({
    title: `Wait until ${name} is active`,
    hint: statusHint(manager, context),
    async probe() {
      const state = (await askSystemctl(manager, context, 'is-active', name)).stdout.trim()
      if (state === 'failed') return {state: 'failed', detail: `${name} failed to start`}
      if (state !== 'active') return {state: 'waiting', detail: `${name} is still ${state}`}
      const pid = (await askSystemctl(manager, context, 'show', '--property=MainPID', '--value', name)).stdout.trim()
      return {state: 'running', detail: `active, main pid ${pid}`}
    },
  })
}

function installSteps(manager: Manager, context: StartupContext): StartupStep[] {
  return [
    ...unitFile(manager, context).installSteps(),
    daemonReload(manager, context),
    enableAtBoot(manager, context),
    context.handOverStep(),
    startService(manager, context),
    waitUntilActive(manager, context),
  ]
}

/**
 * Undoing an install: only a unit file that tspm wrote for this TSPM_HOME is stopped and removed.
 * startup.json belongs to the user, so a name in it alone must never make root stop or delete
 * some other service.
 */
function uninstallSteps(manager: Manager, context: StartupContext, record: StartupRecord): StartupStep[] {
  const name = unitName(context)
  const path = unitPathOf(manager, context)
  if (record.unit_path !== path) {
    context.toolkit.fail(
      `startup.json names the unit file ${JSON.stringify(record.unit_path)}, not ${path}; remove that service by hand`,
    )
  }

  const file = unitFile(manager, context)
  return [
    file.checkStep(),
    file.ifOurs(`Stop ${name}`, async () => {
      await systemctl(manager, context, 'stop', name)
    }),
    file.ifOurs(`Disable ${name}`, async () => {
      await systemctl(manager, context, 'disable', name)
    }),
    file.removeStep(),
    daemonReload(manager, context),
    {
      title: `Forget the failed state of ${name} (reset-failed)`,
      async run(output) {
        // Fails when systemd has nothing recorded for the unit, which is what we want anyway.
        if ((await askSystemctl(manager, context, 'reset-failed', name)).code !== 0) output('nothing to reset')
      },
    },
  ]
}

/** For `tspm doctor`: what the unit runs, for which TSPM_HOME, and what this manager says of it. */
async function inspect(manager: Manager, context: StartupContext, definition: string): Promise<ServiceInspection> {
  const name = unitName(context)
  const ask = async (question: 'is-active' | 'is-enabled') => {
    const result = await askSystemctl(manager, context, question, name)
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

/**
 * A startup platform on one systemd manager: everything but the name, description and root rule,
 * and the steps a manager needs before (`prepare`) and after (`finish`) its own.
 */
export function systemdPlatformOn(
  manager: Manager,
  own: Pick<StartupPlatform, 'description' | 'needsRoot'> & {
    prepareInstall?(context: StartupContext): StartupStep[]
    prepareUninstall?(context: StartupContext): StartupStep[]
    finishUninstall?(context: StartupContext): StartupStep[]
  },
): StartupPlatform {
  return {
    apiVersion: 1,
    name: manager.platform,
    description: own.description,
    // The documented test (sd_booted): systemd is PID 1 when this folder exists. systemctl on PATH is not enough.
    detect: () => existsSync('/run/systemd/system'),
    unitPath: (context) => unitPathOf(manager, context),
    needsRoot: own.needsRoot,
    scope: () => manager.scope,
    render: (context) => render(manager, context),
    installSteps: (context) => [...(own.prepareInstall?.(context) ?? []), ...installSteps(manager, context)],
    uninstallSteps: (context, record) => [
      ...(own.prepareUninstall?.(context) ?? []),
      ...uninstallSteps(manager, context, record),
      ...(own.finishUninstall?.(context) ?? []),
    ],
    startCommand: (context) => `${manager.systemctl} start ${context.serviceName}`,
    statusHint: (context) => statusHint(manager, context),
    inspect: (context, definition) => inspect(manager, context, definition),
  }
}

export const systemdPlatform = systemdPlatformOn(SYSTEM_MANAGER, {
  description: 'Linux systemd system service',
  needsRoot: () => true,
})
