// A chatty app: writes TOTAL bytes of 100-byte lines to stdout as fast as it can, a batch of lines
// per write, waiting for 'drain' when stdout asks it to. Then writes {t0, t1} (ms since the epoch:
// process start, last byte handed to stdout) as JSON to the file given as argv[2].
import {renameSync, writeFileSync} from 'node:fs'

const stampFile = process.argv[2]
const total = Number(process.argv[3] ?? 200 * 1024 * 1024)
const LINE = 100
const PER_WRITE = 100
const filler = 'x'.repeat(LINE - 1 - 'ts=1700000000000 level=info seq=0000000000 msg='.length)
const lines = Math.floor(total / LINE)
if (lines * LINE !== total) throw new Error(`total must be a multiple of ${LINE}`)

let seq = 0
function batch(count) {
  const ts = Date.now()
  let text = ''
  for (let i = 0; i < count; i++) text += `ts=${ts} level=info seq=${String(seq++).padStart(10, '0')} msg=${filler}\n`
  return text
}

// Written beside, then renamed: the bench reads the stamp as soon as it exists.
function finish() {
  const t1 = Date.now()
  writeFileSync(`${stampFile}.tmp`, JSON.stringify({t0: performance.timeOrigin, t1}))
  renameSync(`${stampFile}.tmp`, stampFile)
}

function pump() {
  while (seq < lines) {
    const text = batch(Math.min(PER_WRITE, lines - seq))
    const last = seq >= lines
    const more = process.stdout.write(text, last ? finish : undefined)
    if (last) return
    if (!more) {
      process.stdout.once('drain', pump)
      return
    }
  }
}

pump()
