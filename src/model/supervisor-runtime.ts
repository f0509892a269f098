/**
 * How a supervisor process is started, in one place: the background daemon (`tspm start`), the
 * boot service (`<runtime> [these flags] <tspm> resurrect`) and a `tspm resurrect` typed by hand
 * all run the same entry with the same runtime flags.
 */
import {fileURLToPath} from 'node:url'

/** bin/run.js of this installation: what a boot service runs, whichever way tspm was started now. */
export const TSPM_ENTRY = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
/** The script `tspm start` spawns, detached, when no supervisor answers. */
export const DAEMON_ENTRY = fileURLToPath(new URL('../supervisor/daemon.js', import.meta.url))

/**
 * The supervisor's resident memory is what every user pays while their apps run, and it spends its
 * time in system calls: without the JIT it touches less of the node binary; a small young
 * generation and an earlier memory reducer give back what a burst of work (starting 50 apps) took;
 * gc() lets it free pipe buffers early (supervisor/memory.ts). It keeps Node's startup snapshot:
 * without it Node builds its internals at every boot (50 ms more before the supervisor answers, and
 * about 100 ms more CPU to start 50 apps, compiling internals lazily) for no less memory (42.5 MiB
 * idle either way: 3 MiB less private memory, 3 MiB more of the binary, which other Node processes
 * share).
 * --optimize-for-size makes that memory reducer run its collections when its timer first fires,
 * about a second after a burst; without it, a busy supervisor at that moment (still starting
 * apps, answering lists) puts them off by a fixed 8 s, and they wake an idle supervisor then.
 */
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [
  '--jitless',
  '--no-expose-wasm',
  '--max-semi-space-size=1',
  '--gc-memory-reducer-start-delay-ms=1000',
  '--optimize-for-size',
  '--expose-gc',
  // No debugger opened by a signal (Node 22.14 and later have the flag; on older ones the
  // supervisor's own SIGUSR1 listener, installed first thing, does the same).
  ...(process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? ['--disable-sigusr1'] : []),
]

/** True when this process was started with every supervisor flag. */
export function hasSupervisorFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return SUPERVISOR_NODE_FLAGS.every((flag) => execArgv.includes(flag))
}

/** argv of the boot service's supervisor: `<runtime> [flags] <tspm> resurrect`. */
export function resurrectCommand(runtime: string = process.execPath, tspmEntry: string = TSPM_ENTRY): string[] {
  return [runtime, ...SUPERVISOR_NODE_FLAGS, tspmEntry, 'resurrect']
}
