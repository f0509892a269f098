import type {Hook} from '@oclif/core'

import type {StartupRecord} from './startup-record.js'

/**
 * The contract between the core's `startup`/`unstartup` commands and a startup platform plugin.
 * A plugin contributes platforms by answering the oclif hook `tspm:startup-platforms` with an
 * array of StartupPlatform. It knows nothing of the supervisor: everything it needs is in the
 * StartupContext the core resolves for it.
 */

/** The user the service runs as, from the passwd database. */
export interface StartupUser {
  name: string
  uid: number
  gid: number
  /** Primary group name (the numeric gid when the group database has no plain name for it). */
  group: string
  home: string
}

export interface CommandResult {
  /** Exit code; 127 when the program does not exist. */
  code: number
  stdout: string
  stderr: string
}

/**
 * How values are written into one service-definition format (systemd unit, launchd plist...).
 * Handlebars' HTML escaping is never used: every `{{expression}}` goes through `escape`.
 */
export interface TemplateFormat {
  /** Makes one value safe anywhere in this format, or throws when the format cannot hold it. */
  escape(value: string): string
  /**
   * Quoting helpers for the places of the format that need more than `escape`, used as
   * `{{name arg1 arg2}}`; what they return goes through `escape` too.
   */
  helpers?: Record<string, (...values: string[]) => string>
}

export interface StartupContext {
  /** Service name (`--service-name`, default `tspm`), already checked against a strict pattern. */
  serviceName: string
  user: StartupUser
  /** Absolute TSPM_HOME of that user. */
  tspmHome: string
  /** Absolute path of the runtime that runs tspm (process.execPath: the same Node, or Bun). */
  runtime: string
  /** Absolute path of the tspm entry script (bin/run.js). */
  tspmEntry: string
  /** The PATH to bake into the service: absolute entries only, the runtime's folder first. */
  path: string
  tspmVersion: string
  /** Largest kill_timeout of the saved processes in ms, so the service waits long enough on stop. */
  maxKillTimeoutMs: number
  /** Whether this process runs as root. */
  isRoot: boolean
  /** `--force`: replace a unit that belongs to another TSPM_HOME. */
  force: boolean
  /** Renders a Handlebars template (strict: a missing value is an error) in the given format. */
  renderTemplate(template: string, data: object, format: TemplateFormat): string
  /** Runs a program with an argv array (never a shell string); never throws for a non-zero exit. */
  exec(command: string, args: string[], options?: {timeoutMs?: number}): Promise<CommandResult>
  /** Replaces a file whole or not at all (temp file, fsync, rename), with exactly `mode`. */
  writeFile(path: string, text: string, mode: number): void
  /**
   * The core's step that stops the supervisor running for this TSPM_HOME (started by hand, or by
   * an earlier install), once its processes are saved, so the service's `tspm resurrect` takes
   * them over. Put it right before the step that starts the service. Its rollback starts a
   * supervisor again as the user, as `tspm resurrect` by hand would.
   */
  handOverStep(): StartupStep
}

/** One step of an install or uninstall, shown as one Listr2 task. */
export interface StartupStep {
  title: string
  /** Does the work; `output` shows a progress line under the step. Throws to fail the step. */
  run(output: (line: string) => void): Promise<void> | void
  /** Undoes `run` when a later step fails (completed steps are undone newest first). */
  rollback?(): Promise<void> | void
}

export interface StartupPlatform {
  /** `systemd`, `launchd`...: what users type after `tspm startup`. */
  name: string
  description: string
  /** True when this machine runs this init system now. */
  detect(): boolean | Promise<boolean>
  /** Where the service definition goes. */
  unitPath(context: StartupContext): string
  /** Whether installing for this context needs root. */
  needsRoot(context: StartupContext): boolean
  /** The service definition, for `--print` and for the install. */
  render(context: StartupContext): string | Promise<string>
  installSteps(context: StartupContext): StartupStep[]
  uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[]
  /** Commands that show the installed service and its log, for messages (e.g. `sudo systemctl status tspm`). */
  statusHint?(context: StartupContext): string
}

/** What a `tspm:startup-platforms` hook receives. */
export type StartupPlatformsHookOptions = Record<string, never>

declare module '@oclif/core' {
  interface Hooks {
    'tspm:startup-platforms': {
      options: StartupPlatformsHookOptions
      return: StartupPlatform[]
    }
  }
}

/** The type of a plugin's `tspm:startup-platforms` hook: `const hook: StartupPlatformsHook = async () => [...]`. */
export type StartupPlatformsHook = Hook<'tspm:startup-platforms'>
