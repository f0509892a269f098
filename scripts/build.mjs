// Build: compile the core and every workspace plugin, then regenerate each oclif.manifest.json
// from the compiled commands, so a manifest can never describe older code than dist/, and the
// README's command reference (between <!-- commands --> and <!-- commandsstop -->) from them.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, rmSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const bin = (name) => join(root, 'node_modules', '.bin', name)

function run(command, args, cwd) {
  const result = spawnSync(command, args, {cwd, stdio: 'inherit'})
  if (result.status !== 0) {
    console.error(
      `build failed: ${[command, ...args].join(' ')} (in ${cwd}) exited with ${result.status ?? result.signal}`,
    )
    process.exit(1)
  }
}

/** `afterCompile`: what the package's dist/ needs before the manifest is read from it. */
async function buildPackage(dir, afterCompile) {
  rmSync(join(dir, 'dist'), {recursive: true, force: true})
  rmSync(join(dir, 'oclif.manifest.json'), {force: true})
  run(bin('tsc'), ['-p', 'tsconfig.json'], dir)
  await afterCompile?.()
  run(bin('oclif'), ['manifest'], dir)
}

/**
 * Writes `entry` and what it imports into one ES module at `outfile` (Node 20 loads modules one by
 * one, which costs more than the code itself on a start's way); `external` keeps npm packages out.
 * Not minified, so a stack trace through it still reads.
 */
async function bundleInto(outfile, entry, {external = false} = {}) {
  const {build} = await import('esbuild')
  await build({
    entryPoints: [entry],
    bundle: true,
    ...(external ? {packages: 'external'} : {}),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    allowOverwrite: true,
    logLevel: 'warning',
  }).catch(() => {
    console.error(`build failed: bundling ${relative(root, outfile)} (esbuild said why above)`)
    process.exit(1)
  })
}

await buildPackage(root, async () => {
  // src/vendor/zod.ts with the part of zod it exports (see there): all of zod loads many times slower.
  await bundleInto(join(root, 'dist', 'vendor', 'zod.js'), join(root, 'src', 'vendor', 'zod.ts'))
  // The background supervisor `tspm start` spawns, in one file: it answers about 13 ms sooner,
  // which every `tspm start` of a new supervisor waits for. Packages stay outside (it loads one only
  // for an app that asks, supervisor/restart-triggers.ts); the modules stay beside it for the tests
  // and the boot service's `tspm resurrect`.
  const daemon = join(root, 'dist', 'supervisor', 'daemon.js')
  await bundleInto(daemon, daemon, {external: true})
})
const pluginsDir = join(root, 'plugins')
for (const name of existsSync(pluginsDir) ? readdirSync(pluginsDir) : []) {
  if (existsSync(join(pluginsDir, name, 'tsconfig.json'))) await buildPackage(join(pluginsDir, name))
}

// After the plugins: the reference lists the commands of every bundled plugin too.
run(bin('oclif'), ['readme', '--no-source-links', '--no-aliases', '--readme-path', 'README.md'], root)
