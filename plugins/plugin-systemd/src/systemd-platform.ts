import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {CommandResult, StartupContext, StartupPlatform, StartupRecord, StartupStep, TemplateFormat} from 'tspm'

import {
  environmentAssignment,
  escapeUnitValue,
  execArgument,
  pathSetting,
  readEnvironmentAssignment,
} from './systemd-syntax.js'
import {UNIT_TEMPLATE} from './unit-template.js'

const UNIT_DIR = '/etc/systemd/system'
/** RestartSteps= and RestartMaxDelaySec= exist from this systemd version on. */
const RESTART_STEPS_SINCE = 254
/** Beyond the largest kill_timeout: the supervisor stops its apps in parallel, then exits. */
const STOP_MARGIN_SECONDS = 10
const ACTIVE_TIMEOUT_MS = 30_000
const POLL_MS = 200

const UNIT_FORMAT: TemplateFormat = {
  escape: escapeUnitValue,
  helpers: {execArgument, environmentAssignment, pathSetting},
}

function unitName(context: StartupContext): string {
  return `${context.serviceName}.service`
}

function unitPath(context: StartupContext): string {
  return join(UNIT_DIR, unitName(context))
}

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
      runtime: context.runtime,
      tspmEntry: context.tspmEntry,
      restartSteps: version !== undefined && version >= RESTART_STEPS_SINCE,
      timeoutStopSec: Math.ceil(context.maxKillTimeoutMs / 1000) + STOP_MARGIN_SECONDS,
    },
    UNIT_FORMAT,
  )
}

/** systemctl with the unit name; a non-zero exit fails the step with systemctl's own words. */
async function systemctl(context: StartupContext, ...args: string[]): Promise<CommandResult> {
  const result = await context.exec('systemctl', args)
  if (result.code !== 0)
    throw new Error(
      `systemctl ${args.join(' ')} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`,
    )
  return result
}

function statusHint(context: StartupContext): string {
  return `sudo systemctl status ${context.serviceName} (log: sudo journalctl -u ${context.serviceName} -n 50)`
}

function installSteps(context: StartupContext): StartupStep[] {
  const name = unitName(context)
  const path = unitPath(context)
  let unit = ''
  let previous: {text: string; mode: number} | undefined
  let wasEnabled = false

  return [
    {
      title: `Render ${name}`,
      async run(output) {
        unit = await render(context)
        if (existsSync(path)) {
          const text = readFileSync(path, 'utf8')
          const installedFor = readEnvironmentAssignment(text, 'TSPM_HOME')
          if (installedFor !== context.tspmHome && !context.force) {
            throw new Error(
              `${path} already exists and ${installedFor === undefined ? 'was not written by tspm' : `belongs to TSPM_HOME=${installedFor}`}; ` +
                `choose another --service-name, or add --force to replace it`,
            )
          }
          previous = {text, mode: statSync(path).mode & 0o7777}
          output(`replaces the existing ${path}`)
        }
      },
    },
    {
      title: `Verify ${name} with systemd-analyze`,
      async run(output) {
        const version = await context.exec('systemd-analyze', ['--version'])
        if (version.code === 127) {
          output('systemd-analyze is not installed; skipped')
          return
        }
        // verify wants the unit under its real name; a private folder keeps others off it.
        const folder = mkdtempSync(join(tmpdir(), 'tspm-verify-'))
        try {
          const file = join(folder, name)
          writeFileSync(file, unit, {mode: 0o644})
          const result = await context.exec('systemd-analyze', ['verify', file])
          // Its exit code is 0 for many problems: anything it says on stderr is one.
          if (result.code !== 0 || result.stderr.trim() !== '') {
            throw new Error(
              `systemd-analyze verify rejected the unit (exit ${result.code}):\n${result.stderr.trim().replaceAll(file, path)}`,
            )
          }
        } finally {
          rmSync(folder, {recursive: true, force: true})
        }
      },
    },
    {
      title: `Write ${path}`,
      run() {
        context.writeFile(path, unit, 0o644)
      },
      async rollback() {
        if (previous) context.writeFile(path, previous.text, previous.mode)
        else rmSync(path, {force: true})
        await context.exec('systemctl', ['daemon-reload'])
      },
    },
    {
      title: 'Reload systemd (daemon-reload)',
      run: async () => {
        await systemctl(context, 'daemon-reload')
      },
    },
    {
      title: `Enable ${name} at boot`,
      async run() {
        wasEnabled = (await context.exec('systemctl', ['is-enabled', name])).stdout.trim() === 'enabled'
        await systemctl(context, 'enable', name)
      },
      async rollback() {
        if (!wasEnabled) await systemctl(context, 'disable', name)
      },
    },
    context.handOverStep(),
    {
      title: `Start ${name}`,
      async run() {
        // restart, not start: a service already running from an earlier install picks up the new unit.
        await systemctl(context, 'restart', name)
      },
      async rollback() {
        await systemctl(context, 'stop', name)
      },
    },
    {
      title: `Wait until ${name} is active`,
      async run(output) {
        const deadline = Date.now() + ACTIVE_TIMEOUT_MS
        for (;;) {
          const state = (await context.exec('systemctl', ['is-active', name])).stdout.trim()
          if (state === 'active') break
          if (state === 'failed') throw new Error(`${name} failed to start; see ${statusHint(context)}`)
          if (Date.now() > deadline)
            throw new Error(`${name} is still ${state} after ${ACTIVE_TIMEOUT_MS / 1000} s; see ${statusHint(context)}`)
          await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        }
        const pid = (await context.exec('systemctl', ['show', '--property=MainPID', '--value', name])).stdout.trim()
        output(`active, main pid ${pid}`)
      },
    },
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
    throw new Error(
      `startup.json names the unit file ${JSON.stringify(record.unit_path)}, not ${path}; remove that service by hand`,
    )
  }
  let ours = false
  const ifOurs = (title: string, run: () => Promise<void>): StartupStep => ({
    title,
    async run(output) {
      if (ours) await run()
      else output(`skipped: no unit file of this TSPM_HOME at ${path}`)
    },
  })
  return [
    {
      title: `Check ${path}`,
      run(output) {
        if (!existsSync(path)) {
          output('already removed')
          return
        }
        const installedFor = readEnvironmentAssignment(readFileSync(path, 'utf8'), 'TSPM_HOME')
        if (installedFor !== context.tspmHome) {
          throw new Error(
            `${path} belongs to ${installedFor === undefined ? 'no TSPM_HOME (it was not written by tspm)' : `TSPM_HOME=${installedFor}`}, not to ${context.tspmHome}; it was left alone`,
          )
        }
        ours = true
      },
    },
    ifOurs(`Stop ${name}`, async () => {
      await systemctl(context, 'stop', name)
    }),
    ifOurs(`Disable ${name}`, async () => {
      await systemctl(context, 'disable', name)
    }),
    ifOurs(`Remove ${path}`, async () => {
      rmSync(path, {force: true})
    }),
    {
      title: 'Reload systemd (daemon-reload)',
      run: async () => {
        await systemctl(context, 'daemon-reload')
      },
    },
    {
      title: `Forget the failed state of ${name} (reset-failed)`,
      async run(output) {
        // Fails when systemd has nothing recorded for the unit, which is what we want anyway.
        const result = await context.exec('systemctl', ['reset-failed', name])
        if (result.code !== 0) output('nothing to reset')
      },
    },
  ]
}

export const systemdPlatform: StartupPlatform = {
  name: 'systemd',
  description: 'Linux systemd system service',
  // The documented test (sd_booted): systemd is PID 1 when this folder exists. systemctl on PATH is not enough.
  detect: () => existsSync('/run/systemd/system'),
  unitPath,
  needsRoot: () => true,
  render,
  installSteps,
  uninstallSteps,
  statusHint,
}
