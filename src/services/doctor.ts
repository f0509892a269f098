import type {Config} from '@oclif/core'

import {accessSync, constants, existsSync, readdirSync, readFileSync, statfsSync, statSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {dirname, join} from 'node:path'

import type {Output} from '../cli/errors.js'
import type {HealthResponse, SavedProcess} from '../model/api.js'
import type {DoctorCheck} from '../model/doctor.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {StartupContext, StartupPlatform} from '../startup/platform.js'
import type {LoadedDump} from '../store/dump.js'
import type {StartupRecord} from '../store/startup-record.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {DEFAULT_SERVICE_NAME} from '../model/names.js'
import {appLogPaths, type HomePaths, homeProblems, octal} from '../store/home.js'
import {findOrphans} from '../store/orphans.js'
import {liveSupervisor} from '../store/supervisor-lock.js'
import {renderChecklist} from '../views/doctor.js'
import {colourEnabled, formatBytes} from '../views/format.js'
import {definitionChanges} from './apply.js'

export type {DoctorCheck} from '../model/doctor.js'

/** Free space on the logs' disk below this share of it is a problem, whatever the apps may write. */
const MIN_FREE_SHARE = 0.1

const ok = (id: string, message: string): DoctorCheck => ({id, ok: true, message, fix: null})
const problem = (id: string, message: string, fix: string): DoctorCheck => ({id, ok: false, message, fix})

/**
 * `tspm doctor`: checks this TSPM_HOME, its supervisor, its saved list, its boot service and the
 * room its logs have, and says for each problem what to do. Exits 1 listing the problems.
 */
export async function runDoctor(paths: HomePaths, config: Config, output: Output): Promise<DoctorCheck[]> {
  const client = new SupervisorClient(paths)
  // A socket tspm would refuse to talk to is the home check's to report.
  const health = await client.health().catch((): undefined => {})
  const running = health ? await client.saved() : undefined
  const saved = await readSavedList(paths)
  const specs = (running ?? (saved instanceof TspmError ? [] : saved.processes)).map((entry) => entry.spec)
  const checks: DoctorCheck[] = [
    checkHome(paths),
    checkSupervisor(paths, health, config.version),
    checkSavedList(paths, running, saved),
    ...(await checkStartup(paths, config)),
    checkLogSpace(paths, specs),
  ]

  output.log(renderChecklist(checks, colourEnabled()))
  const problems = checks.filter((check) => !check.ok)
  if (problems.length > 0) {
    throw new TspmError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} found (${problems.map((check) => check.id).join(', ')}); each says what to do`,
      {exit: ExitCode.failure, code: 'problems_found', result: checks},
    )
  }

  return checks
}

/** TSPM_HOME: there, yours, 0700, and nothing in it that tspm would refuse. */
export function checkHome(paths: HomePaths): DoctorCheck {
  const {home} = paths
  let stat
  try {
    stat = statSync(home)
  } catch {
    return ok('home', `TSPM_HOME=${home} does not exist yet; the first \`tspm start\` creates it (mode 0700)`)
  }

  if (!stat.isDirectory())
    return problem('home', `TSPM_HOME=${home} is not a folder`, 'point TSPM_HOME at a folder (or unset it for ~/.tspm)')
  const found = homeProblems(paths)
  const mode = stat.mode & 0o777
  // Not writable by others (that is refused above), but readable: its logs and saved list are private.
  if (mode !== 0o700 && (mode & 0o022) === 0 && stat.uid === process.geteuid?.()) {
    found.unshift({
      problem: `TSPM_HOME=${home} is mode ${octal(mode)}, not 0700: ${mode & 0o055 ? 'other users can read its logs, its saved list and the environment saved in it' : 'you cannot use all of it'}`,
      fix: `run chmod 700 ${home}`,
    })
  }

  if (found.length === 0) return ok('home', `TSPM_HOME=${home} exists, belongs to you and is 0700`)
  return problem(
    'home',
    found.map((entry) => entry.problem).join('; '),
    [...new Set(found.map((entry) => entry.fix))].join('; '),
  )
}

/** A supervisor answers; or, when none does, no app of this home runs unsupervised. */
export function checkSupervisor(paths: HomePaths, health: HealthResponse | undefined, version: string): DoctorCheck {
  if (health) {
    const how = health.mode === 'daemon' ? 'in the background' : 'in the foreground (tspm resurrect or tspm run)'
    if (health.version !== version) {
      return problem(
        'supervisor',
        `the supervisor (pid ${health.pid}) runs tspm ${health.version}, and this is tspm ${version}`,
        'run `tspm save`, then `tspm kill` and `tspm resurrect` (or restart the boot service) so it runs this version',
      )
    }

    return ok('supervisor', `a supervisor answers: pid ${health.pid}, tspm ${health.version}, ${how}`)
  }

  const stranded = liveSupervisor(paths)
  if (stranded) {
    return problem(
      'supervisor',
      `the supervisor (pid ${stranded.pid}) runs but does not answer on ${paths.socket}`,
      'run `tspm doctor` again in a few seconds (it binds its socket again); if it still does not answer, `tspm kill`',
    )
  }

  const orphans = findOrphans(paths)
  if (orphans.length > 0) {
    const names = orphans.map((orphan) => `${orphan.name} (pid ${orphan.pids.join(', ')})`).join(', ')
    return problem(
      'supervisor',
      `no supervisor runs, but ${orphans.length} app${orphans.length === 1 ? '' : 's'} of this home still run${orphans.length === 1 ? 's' : ''} without one (its supervisor was killed): ${names}; nobody restarts ${orphans.length === 1 ? 'it' : 'them'} or rotates ${orphans.length === 1 ? 'its' : 'their'} logs`,
      '`tspm resurrect` stops them and brings back the saved list under a new supervisor; `tspm kill` just stops them',
    )
  }

  return ok('supervisor', 'no supervisor runs for this home, and none of its apps runs')
}

async function readSavedList(paths: HomePaths): Promise<LoadedDump | TspmError> {
  const {loadDump} = await import('../store/dump.js')
  try {
    return await loadDump(paths)
  } catch (error) {
    if (error instanceof TspmError) return error
    throw error
  }
}

/** What runs is what dump.json says, so a reboot brings back what runs now. */
export function checkSavedList(
  paths: HomePaths,
  running: SavedProcess[] | undefined,
  saved: LoadedDump | TspmError,
): DoctorCheck {
  const id = 'saved-list'
  if (saved instanceof TspmError)
    return problem(id, saved.message, `fix or remove the files it names, then \`tspm save\``)
  if (saved.source === 'backup') {
    return problem(id, saved.warnings.join('; '), `run \`tspm save\` to write ${paths.dumpFile} again`)
  }

  if (!running) {
    return ok(
      id,
      saved.source === 'none'
        ? 'nothing is saved, and no supervisor runs to compare with'
        : `${paths.dumpFile} holds ${count(saved.processes.length, 'process', 'processes')}; not compared, as no supervisor runs`,
    )
  }

  const differences = savedListDifferences(running, saved.processes)
  if (differences.length > 0) {
    return problem(
      id,
      saved.source === 'none'
        ? `nothing is saved (${paths.dumpFile} does not exist), and the supervisor runs ${count(running.length, 'process', 'processes')}: a reboot would bring back none of them`
        : `the running processes differ from ${paths.dumpFile} (unsaved changes): ${differences.join('; ')}; a reboot would bring back the saved list, not this`,
      'run `tspm save`',
    )
  }

  return ok(
    id,
    running.length === 0
      ? 'nothing runs and nothing is saved'
      : `${paths.dumpFile} matches the ${count(running.length, 'process', 'processes')} of the supervisor`,
  )
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** What a `tspm save` would change in dump.json, one phrase per app. */
function savedListDifferences(running: SavedProcess[], saved: SavedProcess[]): string[] {
  const savedByName = new Map(saved.map((entry) => [entry.spec.name, entry]))
  const differences: string[] = []
  for (const entry of running) {
    const before = savedByName.get(entry.spec.name)
    savedByName.delete(entry.spec.name)
    if (!before) {
      differences.push(`${entry.spec.name} is not saved`)
      continue
    }

    const changes = definitionChanges(before.spec, entry.spec)
    if (changes.length > 0) differences.push(`${entry.spec.name}: ${changes.join(', ')} changed since the save`)
    if (before.desired !== entry.desired)
      differences.push(`${entry.spec.name} is saved ${before.desired}, and is ${entry.desired} now`)
  }

  for (const name of savedByName.keys()) differences.push(`${name} is saved but no longer managed`)
  return differences
}

/**
 * The boot service startup.json records: installed for this home, enabled and running, running a
 * runtime and a tspm that still exist, of this tspm's version, as startup.json says.
 */
async function checkStartup(paths: HomePaths, config: Config): Promise<DoctorCheck[]> {
  const id = 'startup-service'
  if (!existsSync(paths.startupFile)) {
    return [
      ok(
        id,
        'no startup service is installed for this home (`tspm startup` installs one, so the saved list comes back after a reboot)',
      ),
    ]
  }

  const {readStartupRecord} = await import('../store/startup-record.js')
  let record: StartupRecord | undefined
  try {
    record = readStartupRecord(paths)
  } catch (error) {
    return [problem(id, (error as Error).message, 'run `sudo tspm startup` again, which writes it')]
  }

  if (!record) return []
  const {collectPlatforms} = await import('../startup/platforms.js')
  const platform = (await collectPlatforms(config)).platforms.find((candidate) => candidate.name === record.platform)
  const fallbackFix = `run \`sudo tspm startup ${record.platform} -u ${record.user}\` again`
  if (!platform) {
    return [
      problem(
        id,
        `startup.json says the ${record.platform} service "${record.service_name}" was installed, and no installed plugin provides the ${record.platform} platform`,
        `install it with \`tspm plugins install tspm-${record.platform}\`, then run \`tspm doctor\` again`,
      ),
    ]
  }

  let context: StartupContext
  try {
    const {resolveContext} = await import('../startup/context.js')
    context = (
      await resolveContext({
        userFlag: record.user,
        serviceName: record.service_name,
        force: false,
        tspmVersion: config.version,
        env: {...process.env, TSPM_HOME: paths.home},
      })
    ).context
  } catch (error) {
    return [problem(id, `cannot check the ${record.platform} service: ${(error as Error).message}`, fallbackFix)]
  }

  return inspectService({paths, record, platform, context, version: config.version})
}

async function inspectService({
  paths,
  record,
  platform,
  context,
  version,
}: {
  paths: HomePaths
  record: StartupRecord
  platform: StartupPlatform
  context: StartupContext
  version: string
}): Promise<DoctorCheck[]> {
  const id = 'startup-service'
  const again = `run \`tspm startup\` again, with the Node and the tspm you use now: ${context.toolkit.sudoCommand([
    'startup',
    record.platform,
    '-u',
    record.user,
    ...(record.service_name === DEFAULT_SERVICE_NAME ? [] : ['--service-name', record.service_name]),
  ])}`
  const service = `the ${record.platform} service "${record.service_name}" (${record.unit_path})`
  let definition: string
  try {
    definition = readFileSync(record.unit_path, 'utf8')
  } catch (error) {
    return [
      problem(
        id,
        `startup.json records ${service}, and that file ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is gone' : `cannot be read (${(error as Error).message})`}: nothing starts tspm at boot`,
        `${again}; or \`tspm unstartup\` if you no longer want it`,
      ),
      ...checkRuntime(record, [record.runtime, record.tspm, 'resurrect'], again, version),
    ]
  }

  const inspection = await platform.inspect?.(context, definition)
  const checks: DoctorCheck[] = []
  if (!inspection) {
    checks.push(
      ok(id, `${service} is installed; the ${record.platform} platform cannot tell whether it is enabled and running`),
    )
  } else if (inspection.tspmHome === paths.home) {
    const down = [
      ...(inspection.enabled === false ? ['is not enabled: it does not start at boot'] : []),
      ...(inspection.active === false ? ['is not running now'] : []),
    ]
    checks.push(
      down.length === 0
        ? ok(id, `${service} is installed for this home (${inspection.state})`)
        : problem(
            id,
            `${service} ${down.join(', and ')} (${inspection.state})`,
            inspection.enabled === false
              ? again
              : `start it with \`${platform.startCommand(context)}\`; see ${platform.statusHint(context)}`,
          ),
    )
  } else {
    checks.push(
      problem(
        id,
        `${record.unit_path} ${inspection.tspmHome === undefined ? 'was not written by tspm' : `is for TSPM_HOME=${inspection.tspmHome}`}, not for this home`,
        again,
      ),
    )
  }

  const command = inspection?.command ?? [record.runtime, record.tspm, 'resurrect']
  checks.push(...checkRuntime(record, command, again, version))
  if (inspection?.command) checks.push(checkRecordMatches(record, inspection.command, again))
  return checks
}

/** The runtime and the tspm the service runs still exist (an nvm upgrade removes old ones), and that tspm is this one's version. */
function checkRuntime(record: StartupRecord, command: string[], again: string, version: string): DoctorCheck[] {
  const runtime = command[0] ?? record.runtime
  const tspm = command.at(-1) === 'resurrect' ? (command.at(-2) ?? record.tspm) : record.tspm
  const gone = [
    ...(usable(runtime, constants.X_OK) ? [] : [`the runtime ${runtime}`]),
    // The runtime runs it as a script: it needs to be readable, not executable.
    ...(usable(tspm, constants.R_OK) ? [] : [`the tspm ${tspm}`]),
  ]
  if (gone.length > 0) {
    return [
      problem(
        'startup-runtime',
        `the startup service runs ${gone.join(' and ')}, which ${gone.length === 1 ? 'is' : 'are'} gone or cannot be run (an nvm upgrade or a reinstall removes old versions): at boot the service would fail`,
        again,
      ),
    ]
  }

  const checks = [ok('startup-runtime', `the startup service runs ${runtime} ${tspm}, both there`)]
  const installed = packageVersion(tspm)
  checks.push(
    installed === version
      ? ok('startup-version', `the startup service runs tspm ${installed}, this version`)
      : problem(
          'startup-version',
          `the startup service runs tspm ${installed ?? '(unknown version)'} (${tspm}), and this is tspm ${version}`,
          again,
        ),
  )
  return checks
}

/** startup.json says what the installed unit runs. */
function checkRecordMatches(record: StartupRecord, command: string[], again: string): DoctorCheck {
  const tspm = command.at(-1) === 'resurrect' ? command.at(-2) : undefined
  const differences = [
    ...(command[0] === record.runtime ? [] : [`the unit runs ${command[0]}, startup.json says ${record.runtime}`]),
    ...(tspm === record.tspm ? [] : [`the unit runs tspm ${tspm ?? '(none found)'}, startup.json says ${record.tspm}`]),
  ]
  if (differences.length === 0) return ok('startup-record', 'startup.json matches the installed unit')
  return problem(
    'startup-record',
    `startup.json does not match the installed unit: ${differences.join('; ')} (it was changed by hand, or by another install)`,
    again,
  )
}

function usable(file: string, mode: number): boolean {
  try {
    accessSync(file, mode)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/** The version in the package.json of the tspm whose bin/run.js this is. */
function packageVersion(tspmEntry: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dirname(dirname(tspmEntry)), 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

/**
 * Whether the logs fit: each log file of each app grows to at most max_log_size, and log_files
 * rotated copies of it are kept, so the logs can take (log_files + 1) × max_log_size per file.
 * A problem when what they may still grow by is more than the free space of their disk, or when
 * less than 10 % of that disk is free.
 */
export function checkLogSpace(paths: HomePaths, specs: ProcessSpec[]): DoctorCheck {
  const id = 'log-space'
  if (!existsSync(paths.logsDir)) return ok(id, `no logs yet (${paths.logsDir} does not exist)`)
  const disk = statfsSync(paths.logsDir)
  const free = disk.bavail * disk.bsize
  const total = disk.blocks * disk.bsize
  let growth = 0
  for (const spec of specs) {
    const copies = spec.merge_logs ? 1 : spec.instances === 'max' ? availableParallelism() : spec.instances
    for (let instance = 0; instance < copies; instance++) {
      const files = appLogPaths(spec, paths.logsDir, instance)
      for (const file of [files.out, files.err, files.combined]) {
        if (file === undefined || file === '/dev/null') continue
        let written = 0
        for (let n = 0; n <= spec.log_files; n++) written += sizeOf(n === 0 ? file : `${file}.${n}`)
        growth += Math.max(0, (spec.log_files + 1) * spec.max_log_size - written)
      }
    }
  }

  const used = readdirSync(paths.logsDir).reduce((sum, name) => sum + sizeOf(join(paths.logsDir, name)), 0)
  const share = total > 0 ? free / total : 1
  const freeText = `${formatBytes(free)} (${Math.round(share * 100)}%) is free on the disk of ${paths.logsDir}`
  const rule = 'each log file keeps at most (log_files + 1) × max_log_size'
  if (free < growth || share < MIN_FREE_SHARE) {
    return problem(
      id,
      free < growth
        ? `the logs may still grow by ${formatBytes(growth)} (${rule}), and only ${freeText}`
        : `only ${freeText}, below 10%; the logs use ${formatBytes(used)}`,
      'free space on that disk, or lower max_log_size or log_files of the apps that write most (then `tspm start -c FILE` applies it)',
    )
  }

  return ok(id, `the logs use ${formatBytes(used)} and may grow by ${formatBytes(growth)} more (${rule}); ${freeText}`)
}

function sizeOf(file: string): number {
  try {
    const stat = statSync(file)
    return stat.isFile() ? stat.size : 0
  } catch {
    return 0
  }
}
