// Build: compile the core and every workspace plugin, then regenerate each oclif.manifest.json
// from the compiled commands, so a manifest can never describe older code than dist/, and the
// README's command reference (between <!-- commands --> and <!-- commandsstop -->) from them.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
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
 * dist/vendor/zod.js becomes, in one file, src/vendor/zod.ts with the part of zod it exports (see
 * there): Node 20 loads zod's modules one by one, and all of zod, in many times as long. Not
 * minified, so a stack trace through it still reads.
 */
async function bundleZod() {
  const {build} = await import('esbuild')
  await build({
    entryPoints: [join(root, 'src', 'vendor', 'zod.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(root, 'dist', 'vendor', 'zod.js'),
    allowOverwrite: true,
    logLevel: 'warning',
  }).catch(() => {
    console.error('build failed: bundling zod into dist/vendor/zod.js (esbuild said why above)')
    process.exit(1)
  })
}

/**
 * dist/supervisor/daemon.js, the background supervisor `tspm start` spawns, becomes the same code in
 * one file: Node 20 loads its forty-odd modules one by one, and the supervisor answers about 13 ms
 * sooner from one file, which every `tspm start` of a new supervisor waits for. Packages stay
 * outside (the supervisor loads one only for an app that asks, supervisor/restart-triggers.ts).
 * The modules stay as they are beside it for the tests and the boot service's `tspm resurrect`.
 */
async function bundleDaemon() {
  const {build} = await import('esbuild')
  const daemon = join(root, 'dist', 'supervisor', 'daemon.js')
  await build({
    entryPoints: [daemon],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: daemon,
    allowOverwrite: true,
    logLevel: 'warning',
  }).catch(() => {
    console.error('build failed: bundling dist/supervisor/daemon.js (esbuild said why above)')
    process.exit(1)
  })
}

await buildPackage(root, async () => {
  await bundleZod()
  await bundleDaemon()
})
const pluginsDir = join(root, 'plugins')
for (const name of existsSync(pluginsDir) ? readdirSync(pluginsDir) : []) {
  if (existsSync(join(pluginsDir, name, 'tsconfig.json'))) await buildPackage(join(pluginsDir, name))
}

// After the plugins: the reference lists the commands of every bundled plugin too.
run(bin('oclif'), ['readme', '--no-source-links', '--no-aliases', '--readme-path', 'README.md'], root)
