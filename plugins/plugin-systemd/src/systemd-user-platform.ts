import type {StartupContext, StartupStep} from 'tspm-cli'

import {existsSync, mkdirSync, rmdirSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {type Manager, systemdPlatformOn} from './systemd-platform.js'

const PLATFORM = 'systemd-user'
/** Where systemd keeps a user's runtime folder (pam_systemd, user-runtime-dir@.service). */
const runtimeDir = (context: StartupContext) => `/run/user/${context.user.uid}`

/**
 * The user's own systemd manager (user@UID.service), reached the way a login session does: its
 * runtime folder and bus, set here because `sudo -u`, `su` or cron leave them unset or another
 * user's.
 */
const USER_MANAGER: Manager = {
  platform: PLATFORM,
  scope: 'user',
  // The folder the user manager reads, whatever XDG_CONFIG_HOME this shell has.
  unitDir: (context) => join(context.user.home, '.config', 'systemd', 'user'),
  flags: ['--user'],
  env: (context) => ({
    XDG_RUNTIME_DIR: runtimeDir(context),
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${runtimeDir(context)}/bus`,
  }),
  systemctl: 'systemctl --user',
  journalctl: 'journalctl --user',
  startsWhen: (context) => `with the user manager of ${context.user.name}`,
}

/** The command that turns linger on for this user, for an admin to run. */
const lingerCommand = (context: StartupContext) =>
  `sudo loginctl enable-linger ${context.toolkit.shellQuote(context.user.name)}`

/** Whether logind starts this user's manager at boot without a login (linger). */
async function lingerIsOn(context: StartupContext): Promise<boolean> {
  // Fails ("not logged in or lingering") for a user without a session or linger: off.
  const result = await context.exec('loginctl', ['show-user', context.user.name, '--property=Linger', '--value'])
  return result.code === 0 && result.stdout.trim() === 'yes'
}

/** The state `systemctl --user is-system-running` reports, or undefined when no user manager answers. */
async function managerState(context: StartupContext): Promise<string | undefined> {
  const result = await context.exec('systemctl', ['--user', 'is-system-running'], {env: USER_MANAGER.env!(context)})
  const state = result.stdout.trim()
  return state === '' || state === 'offline' ? undefined : state
}

const noManager = (context: StartupContext) =>
  `${context.user.name} has no systemd user manager running (no login session, and linger is off)`

/** A user service is installed by its user: root cannot drive another user's manager, and would own the files. */
function requireOwnUser(context: StartupContext, command: 'startup' | 'unstartup'): void {
  if (process.getuid?.() === context.user.uid) return
  const asUser = `run \`tspm ${command} ${PLATFORM}\` as ${context.user.name} (without sudo)`
  context.toolkit.fail(
    command === 'startup'
      ? `a systemd user service is installed by its own user, in their user manager: ${asUser}; or, as root, \`tspm startup systemd -u ${context.user.name}\` installs a system service; nothing was changed`
      : `the systemd user service of ${context.user.name} is removed by that user: ${asUser}; nothing was changed`,
    {exit: 'usage', code: 'not_own_user'},
  )
}

/**
 * Linger, so that logind starts the user's manager, and so the service, at boot without a login.
 * Turning it on for oneself needs polkit's consent, which many servers (no polkit) give only root:
 * then, with a manager running (a login session), the install goes on with a warning naming the
 * admin's command; without one there is no manager to install into, and nothing is changed.
 */
function lingerStep(context: StartupContext): StartupStep {
  const {name} = context.user
  let enabledHere = false
  return {
    title: `Start the user manager of ${name} at boot (linger)`,
    async run(output) {
      if (await lingerIsOn(context)) return output(`linger is on: the user manager of ${name} starts at boot`)
      const result = await context.exec('loginctl', ['enable-linger', name])
      if (result.code === 0) {
        enabledHere = true
        return output(`turned linger on (loginctl enable-linger ${name}): the user manager of ${name} starts at boot`)
      }

      const said = (result.stderr || result.stdout).trim() || `exit ${result.code}`
      if ((await managerState(context)) === undefined) {
        context.toolkit.fail(
          `${noManager(context)}, and \`loginctl enable-linger ${name}\` was refused (${said}); turn linger on as root, then run this again:\n  ${lingerCommand(context)}`,
          {exit: 'needsRoot', code: 'needs_linger'},
        )
      }

      context.warn(
        `linger is off for ${name}, and \`loginctl enable-linger ${name}\` was refused (${said}): until root turns it on, the service starts at the first login of ${name} after a boot, not at boot. Turn it on with:\n  ${lingerCommand(context)}`,
      )
      output('linger is off, and only root can turn it on: the service starts at the first login')
    },
    async rollback() {
      // Undone only when this install turned it on: the user's setting is otherwise left as it was.
      if (enabledHere) await context.exec('loginctl', ['disable-linger', name])
    },
  }
}

/** Linger starts the user manager (user@UID.service) within moments; systemctl --user needs it. */
function waitForManager(context: StartupContext): StartupStep {
  return context.toolkit.waitUntilRunning({
    title: `Wait for the user manager of ${context.user.name}`,
    hint: `systemctl status user@${context.user.uid}.service`,
    async probe() {
      const state = await managerState(context)
      if (state === 'running' || state === 'degraded') return {state: 'running', detail: `it is ${state}`}
      return {state: 'waiting', detail: state ? `the user manager is ${state}` : 'no user manager answers yet'}
    },
  })
}

/** ~/.config/systemd/user, made private when missing; what it made is removed again on undo (if still empty). */
function unitDirStep(context: StartupContext): StartupStep {
  const unitDir = USER_MANAGER.unitDir(context)
  const made: string[] = []
  return {
    title: `Create ${unitDir}`,
    run(output) {
      if (existsSync(unitDir)) return output('already there')
      for (let dir = unitDir; !existsSync(dir); dir = dirname(dir)) made.unshift(dir)
      mkdirSync(unitDir, {recursive: true, mode: 0o700})
    },
    rollback() {
      for (const dir of [...made].reverse()) {
        try {
          rmdirSync(dir)
        } catch {
          // not empty: something else lives there now
        }
      }
    },
  }
}

/** Unstartup needs the manager to stop and disable the service. */
function reachManager(context: StartupContext): StartupStep {
  return {
    title: `Reach the user manager of ${context.user.name}`,
    async run(output) {
      const state = await managerState(context)
      if (state === undefined) {
        context.toolkit.fail(
          `${noManager(context)}, so its service cannot be stopped or disabled; run \`tspm unstartup\` again from a login session of ${context.user.name}`,
        )
      }

      output(`it is ${state}`)
    },
  }
}

/** Linger is the user's setting, which other user services may rely on: unstartup leaves it as it is. */
function leaveLinger(context: StartupContext): StartupStep {
  const {name} = context.user
  return {
    title: `Leave linger of ${name} as it is`,
    async run(output) {
      output(
        (await lingerIsOn(context))
          ? `it stays on, for any other user service of ${name}; \`loginctl disable-linger ${name}\` turns it off (with sudo where turning it on needed root)`
          : 'it is off',
      )
    },
  }
}

export const systemdUserPlatform = systemdPlatformOn(USER_MANAGER, {
  description: 'Linux systemd user service, no root needed (starts at boot with linger)',
  needsRoot: () => false,
  prepareInstall(context) {
    requireOwnUser(context, 'startup')
    return [lingerStep(context), waitForManager(context), unitDirStep(context)]
  },
  prepareUninstall(context) {
    requireOwnUser(context, 'unstartup')
    return [reachManager(context)]
  },
  finishUninstall: (context) => [leaveLinger(context)],
})
