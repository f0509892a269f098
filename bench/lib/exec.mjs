// Running a command and timing it.
import {spawn} from 'node:child_process'
import {performance} from 'node:perf_hooks'

/**
 * Runs cmd with args; resolves (never rejects) with its exit code, output and wall time in ms
 * (from just before spawn to its exit). A run past timeoutMs is SIGKILLed and marked timedOut.
 */
export function run(cmd, args, {env, cwd, timeoutMs = 60_000, onSpawn} = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    let child
    try {
      child = spawn(cmd, args, {env, cwd, stdio: ['ignore', 'pipe', 'pipe']})
    } catch (error) {
      resolve({code: null, signal: null, stdout: '', stderr: String(error), ms: 0, timedOut: false, error})
      return
    }

    onSpawn?.(child)
    const out = []
    const err = []
    child.stdout.on('data', (chunk) => out.push(chunk))
    child.stderr.on('data', (chunk) => err.push(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    let ms
    let exit
    let spawnError
    const finish = () => {
      clearTimeout(timer)
      resolve({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (spawnError ? String(spawnError) : ''),
        ms: ms ?? performance.now() - t0,
        timedOut,
      })
    }

    child.once('error', (error) => {
      spawnError = error
      finish()
    })
    child.once('exit', (code, signal) => {
      ms = performance.now() - t0
      exit = {code, signal}
      // Output is complete at 'close'; a grandchild that kept our pipes open must not hold us.
      const guard = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        finish()
      }, 2000)
      child.once('close', () => {
        clearTimeout(guard)
        finish()
      })
    })
  })
}

/** Throws with the command's output when a run failed. */
export function check(result, what) {
  if (result.code !== 0 || result.timedOut) {
    const why = result.timedOut ? 'timed out' : `exit ${result.code ?? result.signal}`
    throw new Error(`${what}: ${why}\n${(result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n')}`)
  }

  return result
}
