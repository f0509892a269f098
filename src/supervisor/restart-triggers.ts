/**
 * cron_restart and watch of one app: a schedule, and file changes, that restart it. Their
 * libraries load only for an app that asks for them (the supervisor loads no npm package
 * otherwise): croner, which PM2 uses too, reads the 5- and 6-field schedules PM2 users write;
 * chokidar watches a tree with one inotify watch per folder and skips ignored folders without
 * descending into them, which Node's own recursive fs.watch cannot (a node_modules would cost
 * thousands of watches).
 */
import {basename, dirname, isAbsolute, relative, resolve, sep} from 'node:path'

import type {ProcessSpec} from '../model/process-spec.js'

export type TriggerReason = 'cron' | 'watch'

export interface TriggerDeps {
  /** Restart the app; `why` goes to tspm.log. */
  restart(reason: TriggerReason, why: string): void
  log(message: string): void
  /** The app's own log files: never watched, or each line it writes would restart it. */
  logFiles: string[]
}

/** Folders no one means to watch. */
const ALWAYS_IGNORED = ['node_modules', '.git']

export class RestartTriggers {
  private closed = false
  private cron: undefined | {nextRun(): Date | null; stop(): void}
  private watcher: undefined | {close(): Promise<void>}
  private watching = false
  private debounce: NodeJS.Timeout | undefined
  private readonly changed = new Set<string>()

  constructor(
    readonly spec: ProcessSpec,
    private readonly deps: TriggerDeps,
  ) {}

  /** What makes two specs need different triggers: a new definition with the same ones keeps them running. */
  static key(spec: ProcessSpec, logFiles: string[]): string {
    return JSON.stringify([spec.cron_restart, spec.watch, spec.ignore_watch, spec.watch_delay, logFiles])
  }

  static wanted(spec: ProcessSpec): boolean {
    return spec.cron_restart !== undefined || spec.watch.length > 0
  }

  async start(): Promise<void> {
    const {spec, deps} = this
    try {
      if (spec.cron_restart !== undefined) {
        const {Cron} = await import('croner')
        if (this.closed) return
        const schedule = spec.cron_restart
        // protect: a run that comes while the one before is still restarting is skipped.
        this.cron = new Cron(schedule, {protect: true}, () => deps.restart('cron', `cron_restart "${schedule}"`))
      }

      if (spec.watch.length > 0) await this.watch()
    } catch (error) {
      deps.log(`${spec.name}: cannot set up its restart triggers: ${(error as Error).message}`)
    }
  }

  /** Epoch ms of the next cron restart, or null. */
  get nextCronRun(): null | number {
    return this.cron?.nextRun()?.getTime() ?? null
  }

  /** The time zone cron_restart is read in: the supervisor's (TZ, else the system's). */
  get timeZone(): null | string {
    return this.cron ? new Intl.DateTimeFormat().resolvedOptions().timeZone : null
  }

  /** True once the watched paths are being watched. */
  get isWatching(): boolean {
    return this.watching
  }

  stop(): void {
    this.closed = true
    this.cron?.stop()
    this.cron = undefined
    clearTimeout(this.debounce)
    this.watcher?.close().catch(() => {})
    this.watcher = undefined
    this.watching = false
  }

  private async watch(): Promise<void> {
    const {spec, deps} = this
    const {watch} = await import('chokidar')
    if (this.closed) return
    const ignored = ignoreMatcher(spec, deps.logFiles)
    const watcher = watch(spec.watch, {ignoreInitial: true, ignored, persistent: true})
    this.watcher = watcher
    watcher.on('all', (_event: string, path: string) => this.onChange(path))
    watcher.on('error', (error: unknown) => deps.log(`${spec.name}: watch: ${(error as Error).message}`))
    watcher.on('ready', () => {
      if (this.closed) return
      this.watching = true
      deps.log(
        `${spec.name}: watching ${spec.watch.join(', ')} for changes (restart ${spec.watch_delay} ms after the last one)`,
      )
    })
  }

  /** Changes within watch_delay of each other make one restart, once the files are quiet. */
  private onChange(path: string): void {
    if (this.closed || !this.watching) return
    this.changed.add(relative(this.spec.cwd, path) || path)
    clearTimeout(this.debounce)
    this.debounce = setTimeout(() => {
      const files = [...this.changed]
      this.changed.clear()
      const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` and ${files.length - 3} more` : '')
      this.deps.restart('watch', `files changed: ${shown}`)
    }, this.spec.watch_delay)
  }
}

/**
 * What `ignore_watch` leaves out, besides node_modules and .git and the app's own logs: a bare name
 * ("logs") is any file or folder of that name; a glob without "/" ("*.log") is matched against
 * names; anything with a "/" is a path (relative to cwd) or a glob of paths ("dist/**"), with
 * everything under it.
 */
export function ignoreMatcher(
  spec: Pick<ProcessSpec, 'cwd' | 'ignore_watch'>,
  logFiles: string[],
): (path: string) => boolean {
  const names: RegExp[] = []
  const paths: RegExp[] = []
  for (const pattern of [...ALWAYS_IGNORED, ...spec.ignore_watch]) {
    const trimmed = pattern.replace(/\/+$/, '')
    if (trimmed.includes('/')) {
      const absolute = isAbsolute(trimmed) ? trimmed : resolve(spec.cwd, trimmed)
      paths.push(new RegExp(`^${globSource(absolute)}(?:/.*)?$`))
    } else {
      names.push(new RegExp(`^${globSource(trimmed)}$`))
    }
  }

  const logs = logFiles.map((file) => ({file, dir: dirname(file), sidecar: `.${basename(file)}`}))
  return (path) => {
    const absolute = resolve(spec.cwd, path)
    if (paths.some((pattern) => pattern.test(absolute))) return true
    const parts = relative(spec.cwd, absolute).split(sep)
    if (parts.some((part) => names.some((pattern) => pattern.test(part)))) return true
    // A log, its rotated files (app.log.1) and its times (.app.log.times).
    return logs.some(
      ({file, dir, sidecar}) =>
        absolute === file ||
        absolute.startsWith(`${file}.`) ||
        (dirname(absolute) === dir && basename(absolute).startsWith(sidecar)),
    )
  }
}

/** A glob as regular expression source: `**` any path, `*` any name part, `?` one character. */
function globSource(glob: string): string {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replaceAll(/[.+^${}()|[\]\\]/g, String.raw`\$&`)
  }

  return source
}
