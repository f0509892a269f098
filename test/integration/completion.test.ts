// Shell completion from @oclif/plugin-autocomplete: the scripts `tspm autocomplete` generates
// (in a private TSPM_CACHE_DIR) are loaded by a real bash the way a user's ~/.bashrc loads them,
// and the completion function is called the way bash calls it on <TAB>.
import assert from 'node:assert/strict'
import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {runCli, runProgram, tempDir} from '../helpers/cli.js'
import {needs} from '../helpers/needs.js'
import {oclifDirsEnv} from '../helpers/registry.js'

/** Generates the completion scripts once for this file; removed when the process ends. */
async function generate(t: {after(fn: () => void): void}): Promise<{cacheDir: string; env: NodeJS.ProcessEnv}> {
  const root = tempDir('tspm-completion-')
  t.after(() => rmSync(root, {recursive: true, force: true}))
  const env = oclifDirsEnv(root)
  const result = await runCli(['autocomplete', '--refresh-cache'], {env: {...env, TSPM_HOME: join(root, 'home')}})
  assert.equal(result.code, 0, result.stderr)
  return {cacheDir: env.TSPM_CACHE_DIR!, env}
}

/**
 * What bash offers for `words` with the cursor at the end of the last one: the setup line
 * `tspm autocomplete script bash` prints for ~/.bashrc is evaluated, then the function that
 * `complete -F` registered for tspm is called with COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT
 * set as bash sets them, and COMPREPLY is printed one entry a line.
 */
async function complete(env: NodeJS.ProcessEnv, words: string[]): Promise<string[]> {
  const setup = await runCli(['autocomplete', 'script', 'bash'], {env})
  assert.equal(setup.code, 0, setup.stderr)
  const script = [
    'set -u',
    setup.stdout.trim(),
    // The function bash would call on <TAB>: the one `complete -F` bound to tspm.
    'spec=$(complete -p tspm) || { echo "no completion registered for tspm" >&2; exit 3; }',
    String.raw`fn=$(sed -n "s/.*-F \([^ ]*\) .*/\1/p" <<<"$spec")`,
    'COMP_WORDS=("$@")',
    'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    'COMP_LINE="$*"',
    'COMP_POINT=${#COMP_LINE}',
    'COMPREPLY=()',
    '"$fn" tspm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  const result = await runProgram('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...words], {
    env: {...process.env, ...env},
    timeoutMs: 30_000,
  })
  assert.equal(result.code, 0, `bash completion failed:\n${result.stderr}`)
  return result.stdout.split('\n').filter((line) => line !== '')
}

test('bash completion: `tspm st<TAB>` offers start, startup, stop; `tspm startup --<TAB>` offers its flags', async (t) => {
  const {cacheDir, env} = await generate(t)
  assert.ok(existsSync(join(cacheDir, 'autocomplete', 'bash_setup')), 'no bash_setup generated')

  const commands = await complete(env, ['tspm', 'st'])
  for (const command of ['start', 'startup', 'stop'])
    assert.ok(commands.includes(command), `${command} missing from ${commands.join(' ')}`)
  assert.deepEqual(
    commands.filter((word) => !word.startsWith('st')),
    [],
  )
  assert.equal(new Set(commands).size, commands.length, `offered twice: ${commands.join(' ')}`)

  const flags = await complete(env, ['tspm', 'startup', '--'])
  for (const flag of ['--user', '--service-name', '--print', '--force', '--json'])
    assert.ok(flags.includes(flag), `${flag} missing from ${flags.join(' ')}`)
  // Flags only, and startup's own: not start's --config.
  assert.deepEqual(
    flags.filter((word) => !word.startsWith('--')),
    [],
  )
  assert.ok(!flags.includes('--config'), flags.join(' '))

  const someFlags = await complete(env, ['tspm', 'startup', '--pr'])
  assert.deepEqual(someFlags, ['--print'])

  const all = await complete(env, ['tspm', ''])
  for (const command of ['start', 'stop', 'list', 'startup', 'unstartup', 'plugins', 'autocomplete'])
    assert.ok(all.includes(command), `${command} missing from ${all.join(' ')}`)
})

test('zsh completion: the generated _tspm passes zsh -n', async (t) => {
  const zsh = await runProgram('zsh', ['--version'], {timeoutMs: 10_000}).catch(() => {})
  if (!needs(t, zsh?.code === 0, 'zsh is not installed on this machine (apt-get install zsh)')) return

  const {cacheDir} = await generate(t)
  const file = join(cacheDir, 'autocomplete', 'functions', 'zsh', '_tspm')
  assert.ok(existsSync(file), `${file} was not generated`)
  const check = await runProgram('zsh', ['-n', file], {timeoutMs: 30_000})
  assert.equal(check.code, 0, `zsh -n ${file}:\n${check.stderr}`)
  // And the setup file that `tspm autocomplete script zsh` points ~/.zshrc at.
  const setup = await runProgram('zsh', ['-n', join(cacheDir, 'autocomplete', 'zsh_setup')], {timeoutMs: 30_000})
  assert.equal(setup.code, 0, setup.stderr)
})
