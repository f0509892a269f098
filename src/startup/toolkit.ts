/**
 * The shared steps and helpers every startup platform gets through StartupContext.toolkit, so a
 * platform plugin is only what is its own: its file format, its paths and its init system's
 * commands. Written once here: the ownership check of an existing definition, verifying it in a
 * private folder, the write that an undo reverts, waiting until the service runs, shell quoting
 * for the commands shown to users, the control-character check, and tspm's exit codes.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {CommandResult, DefinitionFile, DefinitionFileSpec, StartupStep, StartupToolkit} from './platform.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {checkPrintable} from './names.js'

const POLL_MS = 200
const RUNNING_TIMEOUT_MS = 30_000

/** Quotes one word for a POSIX shell, for commands shown to the user to copy (never run here). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

export interface ToolkitInput {
  tspmHome: string
  /** TSPM_HOME came from the environment, so a sudo command must carry it (sudo resets the environment). */
  tspmHomeFromEnv: boolean
  runtime: string
  tspmEntry: string
  force: boolean
  exec(command: string, args: string[], options?: Parameters<StartupToolkit['run']>[2]): Promise<CommandResult>
  writeFile(path: string, text: string, mode: number): void
}

export function createToolkit(input: ToolkitInput): StartupToolkit {
  const fail: StartupToolkit['fail'] = (message, options = {}) => {
    throw new TspmError(message, {exit: ExitCode[options.exit ?? 'failure'], code: options.code ?? 'startup_failed'})
  }

  const run: StartupToolkit['run'] = async (command, args, options) => {
    const result = await input.exec(command, args, options)
    if (result.code !== 0) {
      const said = (result.stderr || result.stdout).trim()
      fail(`${[basename(command), ...args].join(' ')} failed (exit ${result.code})${said ? `: ${said}` : ''}`)
    }

    return result
  }

  return {
    fail,
    run,
    checkPrintable,
    shellQuote,
    sudoCommand(tspmArgs) {
      const words = [
        'sudo',
        ...(input.tspmHomeFromEnv ? [`TSPM_HOME=${input.tspmHome}`] : []),
        input.runtime,
        input.tspmEntry,
        ...tspmArgs,
      ]
      return words.map((word) => shellQuote(word)).join(' ')
    },
    definitionFile: (spec) => definitionFile(spec, input, fail),
    waitUntilRunning({title, timeoutMs = RUNNING_TIMEOUT_MS, probe, hint}) {
      return {
        title,
        async run(output) {
          const deadline = Date.now() + timeoutMs
          for (;;) {
            const {state, detail} = await probe()
            if (state === 'running') return output(detail)
            if (state === 'failed') fail(`${detail}; see ${hint}`)
            if (Date.now() > deadline) fail(`${detail} after ${timeoutMs / 1000} s; see ${hint}`)
            await delay(POLL_MS)
          }
        },
      }
    },
  }
}

function definitionFile(spec: DefinitionFileSpec, input: ToolkitInput, fail: StartupToolkit['fail']): DefinitionFile {
  const name = basename(spec.path)
  let text = ''
  let previous: undefined | {text: string; mode: number}
  let ours = false

  const belongsTo = (found: string | undefined) =>
    found === undefined ? 'was not written by tspm' : `belongs to TSPM_HOME=${found}`

  const render: StartupStep = {
    title: `Render ${name}`,
    async run(output) {
      text = await spec.render()
      if (!existsSync(spec.path)) return
      const existing = readFileSync(spec.path, 'utf8')
      const installedFor = spec.tspmHomeOf(existing)
      if (installedFor !== input.tspmHome && !input.force) {
        fail(
          `${spec.path} already exists and ${belongsTo(installedFor)}; choose another --service-name, or add --force to replace it`,
        )
      }

      previous = {text: existing, mode: statSync(spec.path).mode & 0o7777}
      output(`replaces the existing ${spec.path}`)
    },
  }

  const verify: StartupStep | undefined = spec.verify && {
    title: spec.verify.title,
    async run(output) {
      // A private folder: nobody can swap the file between the write and the check.
      const folder = mkdtempSync(join(tmpdir(), 'tspm-verify-'))
      try {
        const file = join(folder, name)
        writeFileSync(file, text, {mode: 0o600})
        await spec.verify!.check(file, output)
      } finally {
        rmSync(folder, {recursive: true, force: true})
      }
    },
  }

  const write: StartupStep = {
    title: `Write ${spec.path}`,
    run() {
      input.writeFile(spec.path, text, spec.mode)
    },
    async rollback() {
      if (previous) input.writeFile(spec.path, previous.text, previous.mode)
      else rmSync(spec.path, {force: true})
      await spec.afterUndo?.()
    },
  }

  const ifOurs: DefinitionFile['ifOurs'] = (title, body) => ({
    title,
    async run(output) {
      if (ours) await body(output)
      else output(`skipped: no definition of this TSPM_HOME at ${spec.path}`)
    },
  })

  return {
    installSteps: () => [render, ...(verify ? [verify] : []), write],
    checkStep: () => ({
      title: `Check ${spec.path}`,
      run(output) {
        if (!existsSync(spec.path)) return output('already removed')
        const installedFor = spec.tspmHomeOf(readFileSync(spec.path, 'utf8'))
        if (installedFor !== input.tspmHome) {
          fail(`${spec.path} ${belongsTo(installedFor)}, not to ${input.tspmHome}; it was left alone`)
        }

        ours = true
      },
    }),
    ifOurs,
    removeStep: () => ifOurs(`Remove ${spec.path}`, () => rmSync(spec.path, {force: true})),
  }
}
