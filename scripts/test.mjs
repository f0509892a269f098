// `npm test` after the build: compile the tests, then run every *.test.js with node's test runner.
import {spawnSync} from 'node:child_process'
import {readdirSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const outDir = join(root, 'dist-test')

rmSync(outDir, {recursive: true, force: true})
const compile = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'test/tsconfig.json'], {
  cwd: root,
  stdio: 'inherit',
})
if (compile.status !== 0) process.exit(compile.status ?? 1)

// Only what is named on the command line (e.g. `npm test -- unit`), else every suite.
const only = process.argv.slice(2)
const files = readdirSync(join(outDir, 'test'), {recursive: true})
  .map(String)
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .sort()
  .map((file) => join(outDir, 'test', file))

const env = {...process.env}
// Adds about 70 ms to every Node start, and the tests start many.
delete env.NODE_EXTRA_CA_CERTS
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
})
process.exit(run.status ?? 1)
