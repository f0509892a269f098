import type {Hook} from '@oclif/core'

import type {SystemUser} from '../os/passwd.js'
import type {StartupRecord} from '../store/startup-record.js'

/**
 * The contract between the core's `startup`/`unstartup` commands and a startup platform plugin.
 * A plugin contributes platforms by answering the oclif hook `tspm:startup-platforms` with an
 * array of StartupPlatform. It knows nothing of the supervisor and has no runtime dependency on
 * the core: everything it needs, the toolkit of shared steps included, is in the StartupContext
 * the core resolves for it.
 */

/** The version of this contract. A platform names the version it was written for. */
export const STARTUP_API_VERSION = 1

/** The user the service runs as, from the passwd database. */
export type StartupUser = SystemUser

export interface CommandResult {
  /** Exit code; 127 when the program does not exist. */
  code: number
  stdout: string
  stderr: string
}

/**
 * How values are written into one service-definition format (systemd unit, launchd plist...).
 * Handlebars' HTML escaping is never used: every `{{expression}}` goes through `escape`, and a
 * raw `{{{expression}}}` is refused.
 */
export interface TemplateFormat {
  /** Makes one value safe anywhere in this format, or throws when the format cannot hold it. */
  escape(value: string): string
  /**
   * Quoting helpers for the places of the format that need more than `escape`, used as
   * `{{name arg1 arg2}}` (a list argument passes its items); what they return goes through
   * `escape` too.
   */
  helpers?: Record<string, (...values: string[]) => string>
}

/** How StartupContext.exec runs a program. */
export interface ExecOptions {
  timeoutMs?: number
  /** Variables set on top of this process's environment (say, to reach a user's service manager). */
  env?: Record<string, string>
}

/** Whose service manager runs an installed service (StartupPlatform.scope). */
export type StartupScope = 'system' | 'user'

/** Exit codes of tspm's table that a platform may end a command with. */
export type StartupExit = 'failure' | 'needsRoot' | 'usage'

/** The service definition file of a platform (a unit, a plist, an init script). */
export interface DefinitionFileSpec {
  /** Where it goes. */
  path: string
  /** Its exact mode (0644 for a unit, 0755 for an init script). */
  mode: number
  /** What it holds, rendered for this context. */
  render(): Promise<string> | string
  /** The TSPM_HOME a file at `path` was written for, read back from its text; undefined when tspm did not write it. */
  tspmHomeOf(text: string): string | undefined
  /** A check of the rendered text by the platform's own tool, run on a copy under its real file name in a private folder. */
  verify?: {title: string; check(file: string, output: (line: string) => void): Promise<void>}
  /** Runs after an undo put back (or removed) the file, for platforms that must reload it. */
  afterUndo?(): Promise<void>
}

/** The steps around one definition file, made by the toolkit (StartupContext.toolkit.definitionFile). */
export interface DefinitionFile {
  /**
   * Render (refusing a file at the path that belongs to another TSPM_HOME, unless --force), verify
   * (when the spec has a check), write; the write is undone by restoring what was there before.
   */
  installSteps(): StartupStep[]
  /** For unstartup: checks that the file at the path was written for this TSPM_HOME (absent: skips what follows). */
  checkStep(): StartupStep
  /** A step that runs only when checkStep found this TSPM_HOME's file. */
  ifOurs(title: string, run: (output: (line: string) => void) => Promise<void> | void): StartupStep
  /** Removes the file, when checkStep found it to be ours. */
  removeStep(): StartupStep
}

/** What the core gives every platform so that none writes these again. */
export interface StartupToolkit {
  /** Throws an error of tspm's own, with an exit code of the table (default failure). */
  fail(message: string, options?: {exit?: StartupExit; code?: string}): never
  /** Refuses a value holding a newline or control character (no definition format can hold one); returns it. */
  checkPrintable(value: string, what: string): string
  /** Quotes one word for a POSIX shell, for commands shown to the user to copy (never run). */
  shellQuote(word: string): string
  /** The exact command line that runs this tspm as root for this user and TSPM_HOME. */
  sudoCommand(tspmArgs: string[]): string
  /** Runs a program (argv, no shell) and fails with its own words when it exits non-zero. */
  run(command: string, args: string[], options?: ExecOptions): Promise<CommandResult>
  /** The steps around a service definition file. */
  definitionFile(spec: DefinitionFileSpec): DefinitionFile
  /**
   * A step that polls `probe` until it says the service runs (`running`), fails at once when it
   * says `failed`, and fails at the deadline naming the last state.
   */
  waitUntilRunning(spec: {
    title: string
    timeoutMs?: number
    probe(): Promise<{state: 'failed' | 'running' | 'waiting'; detail: string}>
    /** Where to look when it does not come up. */
    hint: string
  }): StartupStep
}

export interface StartupContext {
  /** The version of this contract the core speaks (STARTUP_API_VERSION). */
  apiVersion: number
  /** Service name (`--service-name`, default `tspm`), already checked against a strict pattern. */
  serviceName: string
  user: StartupUser
  /** Absolute TSPM_HOME of that user. */
  tspmHome: string
  /** Absolute path of the runtime that runs tspm (process.execPath). */
  runtime: string
  /** Absolute path of the tspm entry script (bin/run.js). */
  tspmEntry: string
  /** What the service runs: `<runtime> [supervisor runtime flags] <tspm> resurrect`, as argv. */
  command: string[]
  /** The PATH to bake into the service: absolute entries only, the runtime's folder first. */
  path: string
  tspmVersion: string
  /** Largest kill_timeout of the saved processes in ms, so the service waits long enough on stop. */
  maxKillTimeoutMs: number
  /**
   * The open-files limit the service gives the supervisor, which its apps inherit: servers hold a
   * socket per connection, and systemd's default soft limit is 1024 (PM2's units set one too).
   */
  openFilesLimit: number
  /** Whether this process runs as root. */
  isRoot: boolean
  /** `--force`: replace a definition that belongs to another TSPM_HOME. */
  force: boolean
  /** Renders a Handlebars template (strict: a missing value is an error) in the given format. */
  renderTemplate(template: string, data: object, format: TemplateFormat): string
  /** Runs a program with an argv array (never a shell string); never throws for a non-zero exit. */
  exec(command: string, args: string[], options?: ExecOptions): Promise<CommandResult>
  /**
   * Something the user should act on while the install goes on (say, a setting only an admin can
   * change): shown once the steps are done, as a warning (in the envelope's warnings with --json).
   */
  warn(message: string): void
  /** Replaces a file whole or not at all (temp file, fsync, rename), with exactly `mode`. */
  writeFile(path: string, text: string, mode: number): void
  /**
   * The core's step that stops the supervisor running for this TSPM_HOME (started by hand, or by
   * an earlier install), once its processes are saved, so the service's `tspm resurrect` takes
   * them over. Put it right before the step that starts the service. Its rollback starts a
   * supervisor again as the user, as `tspm resurrect` by hand would.
   */
  handOverStep(): StartupStep
  toolkit: StartupToolkit
}

/** One step of an install or uninstall, shown as one Listr2 task. */
export interface StartupStep {
  title: string
  /** Does the work; `output` shows a progress line under the step. Throws to fail the step. */
  run(output: (line: string) => void): Promise<void> | void
  /** Undoes `run` when a later step fails (completed steps are undone newest first). */
  rollback?(): Promise<void> | void
}

/** What a platform can tell `tspm doctor` about a service it installed (StartupPlatform.inspect). */
export interface ServiceInspection {
  /** The TSPM_HOME the definition was written for; undefined when tspm did not write it. */
  tspmHome?: string
  /** What the definition runs, as argv (`<runtime> [flags] <tspm> resurrect`); undefined when it cannot be read. */
  command?: string[]
  /** Whether the init system starts it at boot; undefined when it cannot tell. */
  enabled?: boolean
  /** Whether it runs now; undefined when it cannot tell. */
  active?: boolean
  /** The init system's own words for its state, such as `enabled, active`. */
  state: string
}

export interface StartupPlatform {
  /** The version of the contract this platform was written for (STARTUP_API_VERSION). */
  apiVersion: number
  /** `systemd`, `launchd`...: what users type after `tspm startup`. */
  name: string
  description: string
  /** True when this machine runs this init system now. */
  detect(): boolean | Promise<boolean>
  /** Where the service definition goes. */
  unitPath(context: StartupContext): string
  /** Whether installing for this context needs root. */
  needsRoot(context: StartupContext): boolean
  /**
   * Whose service manager runs the service: the machine's (`system`, the default) or the user's
   * own (`user`, such as a systemd user service). Recorded in startup.json.
   */
  scope?(context: StartupContext): StartupScope
  /** The service definition, for `--print` and for the install. */
  render(context: StartupContext): Promise<string> | string
  installSteps(context: StartupContext): StartupStep[]
  uninstallSteps(context: StartupContext, record: StartupRecord): StartupStep[]
  /** The command that starts the installed service (`sudo systemctl start tspm`): `tspm start` shows it when the service is down. */
  startCommand(context: StartupContext): string
  /** Commands that show the installed service and its log, for messages (e.g. `sudo systemctl status tspm`). */
  statusHint(context: StartupContext): string
  /**
   * Optional, for `tspm doctor`: reads the installed definition (`definition`, the text of the file
   * startup.json names) and asks the init system whether the service is enabled and running.
   */
  inspect?(context: StartupContext, definition: string): Promise<ServiceInspection>
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
