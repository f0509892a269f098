import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {test} from 'node:test'
import {pathToFileURL} from 'node:url'

import {REPO_ROOT} from '../helpers/cli.js'

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm
const STATIC_IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm

function specifiers(source: string, pattern: RegExp): string[] {
  return [...source.matchAll(pattern)].map((match) => match.slice(1).find((group) => group !== undefined)!)
}

/** Every module a compiled entry loads, following its imports (dynamic ones too, unless `staticOnly`). */
function moduleGraph(entry: string, options: {staticOnly?: boolean} = {}): {files: Set<string>; packages: Set<string>} {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop()!
    if (files.has(file)) continue
    files.add(file)
    for (const specifier of specifiers(readFileSync(file, 'utf8'), options.staticOnly ? STATIC_IMPORT : IMPORT)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier))
      else if (!specifier.startsWith('node:')) packages.add(specifier)
    }
  }

  return {files, packages}
}

const DIST = join(REPO_ROOT, 'dist')
const SRC = join(REPO_ROOT, 'src')
const inDist = (files: Set<string>) => [...files].map((file) => relative(DIST, file))
/** The files of store/ and config/ that the supervisor may use: its own state files, the logs' time files and the env_file reader. */
const SUPERVISOR_FILES = [
  'store/home',
  'store/log-times',
  'store/orphans',
  'store/atomic-file',
  'store/private-file',
  'store/status-file',
  'store/status-schema',
  'store/supervisor-lock',
  'config/dotenv',
]

/** The libraries of cron_restart and watch: loaded by the supervisor only for an app that asks for them. */
const TRIGGER_PACKAGES = ['chokidar', 'croner']

/** Whether a compiled file, by its path under dist/, is one the supervisor may run. */
const supervisorMayRun = (file: string) =>
  /^(supervisor|model|os)\//.test(file) || SUPERVISOR_FILES.includes(file.replace(/\.js$/, ''))

test('the supervisor loads no npm package and nothing of the CLI, daemon and boot service alike', () => {
  // supervisor/main.js is the one entry of both (the daemon is built into one file from it).
  const {files, packages} = moduleGraph(join(DIST, 'supervisor', 'main.js'))
  assert.ok(files.size > 5, `followed the imports (${files.size} files)`)
  assert.deepEqual([...moduleGraph(join(DIST, 'supervisor', 'main.js'), {staticOnly: true}).packages], [])
  assert.deepEqual([...packages].sort(), TRIGGER_PACKAGES)
  const loaders = inDist(files).filter((file) =>
    specifiers(readFileSync(join(DIST, file), 'utf8'), IMPORT).some((specifier) =>
      TRIGGER_PACKAGES.includes(specifier),
    ),
  )
  assert.deepEqual(loaders, ['supervisor/restart-triggers.js'], 'only the restart triggers load them, when an app asks')
  const outside = inDist(files).filter((file) => !supervisorMayRun(file))
  assert.deepEqual(
    outside,
    [],
    'the supervisor reaches only its own folder, model/, os/, its store files and the env_file reader',
  )
})

test('the daemon is built into one file of the supervisor modules; it imports Node modules, and the trigger packages when asked', () => {
  const daemon = readFileSync(join(DIST, 'supervisor', 'daemon.js'), 'utf8')
  // esbuild heads each module it takes in with its path.
  const bundled = [...daemon.matchAll(/^\/\/ dist\/(\S+\.js)$/gm)].map((match) => match[1]!)
  assert.ok(bundled.includes('supervisor/main.js') && bundled.includes('supervisor/no-debugger.js'), bundled.join(' '))
  assert.equal(bundled[0], 'supervisor/no-debugger.js', 'first of all, no debugger may be opened by a signal')
  assert.deepEqual(
    bundled.filter((file) => !supervisorMayRun(file)),
    [],
    'nothing of the CLI',
  )
  assert.deepEqual(
    specifiers(daemon, STATIC_IMPORT).filter((specifier) => !specifier.startsWith('node:')),
    [],
    'it imports only Node modules up front',
  )
  assert.deepEqual(
    [...new Set(specifiers(daemon, IMPORT).filter((specifier) => !specifier.startsWith('node:')))].sort(),
    TRIGGER_PACKAGES,
  )
})

/** Packages the build bundles into dist/vendor/ (a graph that reaches the file loads the package). */
const vendored = (files: Set<string>) => inDist(files).filter((file) => file.startsWith('vendor/'))

test('`tspm list` on its fast path loads no package: neither oclif nor zod', () => {
  const fastPath = moduleGraph(join(DIST, 'cli', 'fast-path.js'), {staticOnly: true})
  assert.deepEqual([...fastPath.packages], [])
  assert.deepEqual(vendored(fastPath.files), [])
  const list = moduleGraph(join(DIST, 'services', 'process-list.js'))
  assert.deepEqual([...list.packages], [])
  assert.deepEqual(vendored(list.files), [])
})

test('zod is imported through src/vendor/zod.ts only, and the build makes that one file with no imports', async () => {
  const direct = sourceFiles(SRC)
    .filter((file) => specifiers(readFileSync(file, 'utf8'), IMPORT).some((specifier) => /^zod(\/|$)/.test(specifier)))
    .map((file) => relative(SRC, file))
  assert.deepEqual(direct, ['vendor/zod.ts'])
  const bundled = readFileSync(join(DIST, 'vendor', 'zod.js'), 'utf8')
  assert.deepEqual(specifiers(bundled, IMPORT), [], 'dist/vendor/zod.js imports nothing: zod is inside it')
  // The same functions as the source's re-exports of zod/mini (which the tests load), and only
  // those: all of zod is ten times the size, and its load is on the way of every start.
  const source = await import('../../src/vendor/zod.js')
  const built = (await import(pathToFileURL(join(DIST, 'vendor', 'zod.js')).href)) as Record<string, unknown>
  assert.deepEqual(Object.keys(built).sort(), Object.keys(source).sort())
  assert.ok(bundled.length < 150_000, `dist/vendor/zod.js holds ${bundled.length} bytes: more of zod than it exports`)
  const config = moduleGraph(join(DIST, 'config', 'load-config.js'))
  assert.ok(vendored(config.files).includes('vendor/zod.js'), 'the config loader reaches it')
  assert.ok(!config.packages.has('zod'))
})

test('only `tspm monit` loads its view (src/monit/), and only once it runs; the view loads no npm package', () => {
  const monitFiles = (files: Set<string>) => inDist(files).filter((file) => file.startsWith('monit/'))
  const commands = readdirSync(join(DIST, 'commands'), {recursive: true})
    .map(String)
    .filter((file) => file.endsWith('.js') && file !== 'monit.js')
  assert.ok(commands.length > 10, `found the commands (${commands.join(', ')})`)
  for (const command of commands)
    assert.deepEqual(monitFiles(moduleGraph(join(DIST, 'commands', command)).files), [], command)
  assert.deepEqual(monitFiles(moduleGraph(join(DIST, 'cli', 'fast-path.js')).files), [], 'the fast path')
  assert.deepEqual(monitFiles(moduleGraph(join(DIST, 'commands', 'monit.js'), {staticOnly: true}).files), [])
  const view = moduleGraph(join(DIST, 'commands', 'monit.js'))
  assert.ok(monitFiles(view.files).includes('monit/monitor.js'), 'followed the lazy imports to the view')
  // Statically: the lazy imports beyond (the saved list of `tspm logs`, the startup record) are not monit's paths.
  for (const entry of ['services/monit.js', 'monit/monitor.js'])
    assert.deepEqual([...moduleGraph(join(DIST, entry), {staticOnly: true}).packages], [], entry)
})

test('a platform plugin loads nothing of the core at run time', () => {
  for (const plugin of ['plugin-systemd', 'plugin-launchd', 'plugin-openrc']) {
    const {files, packages} = moduleGraph(join(REPO_ROOT, 'plugins', plugin, 'dist', 'hooks', 'platforms.js'))
    assert.deepEqual([...packages], [], plugin)
    for (const file of files) assert.ok(file.startsWith(join(REPO_ROOT, 'plugins', plugin)), `${plugin} loads ${file}`)
  }
})

/**
 * The layers of src/, by folder: what each may import (type imports included: a boundary is about
 * who knows what). The supervisor knows nothing of the CLI; commands and the client know nothing
 * of the supervisor's internals (statuses and API types live in model/); commands are thin.
 */
const ALLOWED: Record<string, string[]> = {
  // vendor/ re-exports packages (the build bundles them): it imports nothing of tspm.
  vendor: [],
  model: ['model', 'vendor/zod'],
  os: ['os', 'model'],
  store: ['store', 'model', 'os', 'vendor/zod'],
  // config looks at the machine only through os/ (PATH lookup for interpreters and start checks).
  config: ['config', 'model', 'os', 'vendor/zod'],
  views: ['views', 'model'],
  // monit's view reads logs through the reader of `tspm logs` only (services/log-reader), nothing else of services/.
  monit: ['monit', 'model', 'views', 'client', 'store/home', 'services/log-reader'],
  client: ['client', 'model', 'os', 'store'],
  supervisor: ['supervisor', 'model', 'os', ...SUPERVISOR_FILES],
  startup: ['startup', 'model', 'os', 'store', 'client'],
  services: [
    'services',
    'cli/errors',
    'client',
    'config',
    'model',
    'os',
    'store',
    'startup',
    'views',
    'monit',
    'supervisor/main',
  ],
  cli: ['cli', 'model', 'store/home', 'services'],
  commands: ['commands', 'cli', 'services', 'model'],
  '.': ['startup/platform', 'store/startup-record', 'model'],
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {recursive: true})
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file))
}

test('every import in src/ stays inside its layer', () => {
  const crossings: string[] = []
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file)
    const layer = from.includes('/') ? from.split('/')[0]! : '.'
    const allowed = ALLOWED[layer]
    assert.ok(allowed, `src/${from} is in a folder with no rule (${layer}/): add it to ALLOWED`)
    for (const specifier of specifiers(readFileSync(file, 'utf8'), IMPORT)) {
      if (!specifier.startsWith('.')) continue
      const target = relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '')
      if (!allowed.some((prefix) => target === prefix || target.startsWith(`${prefix}/`)))
        crossings.push(`src/${from} imports ${target}`)
    }
  }

  assert.deepEqual(crossings, [])
})

test('status.json and startup.json each have one module that reads and writes them', () => {
  const opens = (property: string) =>
    sourceFiles(SRC)
      .filter((file) =>
        new RegExp(
          `(readFileSync|readFile|writeFileAtomic|writeFileSync|openSync|rmSync)\\([^)]*\\.${property}\\b`,
        ).test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(SRC, file))
  assert.deepEqual(opens('statusFile'), ['store/status-file.ts'])
  assert.deepEqual(opens('startupFile'), ['store/startup-record.ts'])
})
