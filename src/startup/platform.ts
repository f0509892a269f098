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
  /** Primary group name. */
  group: string
  home: string
}

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
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
  /** The PATH to bake into the service. */
  path: string
  tspmVersion: string
  /** Largest kill_timeout of the saved processes in ms, so the service waits long enough on stop. */
  maxKillTimeoutMs: number
  /** Whether this process runs as root. */
  isRoot: boolean
  /** `--force`: replace a unit that belongs to another TSPM_HOME. */
  force: boolean
  /**
   * Renders a Handlebars template whose `{{value}}` expressions go through `escape`, the quoting
   * of the target format (systemd, XML...), never HTML escaping.
   */
  renderTemplate(template: string, data: object, escape: (value: string) => string): string
  /** Runs a program with an argv array (never a shell string). */
  exec(command: string, args: string[]): Promise<CommandResult>
}

/** One step of an install or uninstall, shown as one Listr2 task. */
export interface StartupStep {
  title: string
  run(output: (line: string) => void): Promise<void> | void
  /** Undoes `run` when a later step fails. */
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
