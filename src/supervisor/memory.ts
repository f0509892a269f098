import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/**
 * App output arrives in a fresh 64 KB buffer per pipe read. V8 frees those only when it collects
 * garbage, which memory held outside its heap hardly prompts: a chatty app grew the supervisor by
 * 20 MB and more. A minor collection after every MB of output keeps that to a few MB; the
 * supervisor's memory is what every user pays while their apps run.
 */

type CollectGarbage = (options?: {type: 'minor'}) => void

const OUTPUT_BYTES_PER_COLLECTION = 1024 * 1024
const EXITS_PER_COLLECTION = 50

let outputBytes = 0
let exits = 0
let collectGarbage: CollectGarbage | undefined

/**
 * Each run leaves a child process object, its pipes and streams behind; they live long enough to
 * reach the old generation, which V8 lets grow before it looks. In a crash storm, a full collection
 * every 50 exits keeps the supervisor from growing by 10 MB and more.
 */
export function noteProcessExit(): void {
  if (++exits < EXITS_PER_COLLECTION) return
  exits = 0
  collectGarbage ??= exposedGc()
  // A full collection: gc() without options (V8 here ignores {type: 'major'}).
  collectGarbage()
}

/**
 * A full collection now: after a start-up that is over (the boot service's restore of the saved
 * list), what it left behind is freed at once rather than kept resident for months.
 */
export function collectNow(): void {
  collectGarbage ??= exposedGc()
  collectGarbage()
}

export function noteOutputBytes(count: number): void {
  outputBytes += count
  if (outputBytes < OUTPUT_BYTES_PER_COLLECTION) return
  outputBytes = 0
  collectGarbage ??= exposedGc()
  collectGarbage({type: 'minor'})
}

/**
 * The background supervisor starts with --expose-gc. In `tspm resurrect` it runs inside the CLI,
 * where gc() is not on the global object; a new context gets it once the flag is set (created only
 * when output flows, as it costs some memory of its own).
 */
function exposedGc(): CollectGarbage {
  const global = globalThis as {gc?: CollectGarbage}
  if (global.gc) return global.gc
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as CollectGarbage
}
