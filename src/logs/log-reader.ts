import {closeSync, openSync, readSync, statSync} from 'node:fs'

const CHUNK = 64 * 1024

/** The last `count` lines of a file, read from its end (a log can be large). */
export function tailLines(path: string, count: number): string[] {
  if (count <= 0) return []
  const fd = openSync(path, 'r')
  try {
    let position = statSync(path).size
    let text = ''
    let newlines = 0
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK, position)
      position -= length
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, position)
      text = buffer.toString('utf8') + text
      newlines = text.split('\n').length - 1
    }
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-count)
  } finally {
    closeSync(fd)
  }
}

/**
 * Follows a log as `tail -F` does: prints what is appended, and starts over on the new file when
 * the log rotates (its inode changes or it shrinks).
 */
export function followFile(path: string, onData: (text: string) => void, intervalMs = 200): () => void {
  let {ino, size: offset} = statOrEmpty(path)
  const timer = setInterval(() => {
    const current = statOrEmpty(path)
    if (current.ino !== ino || current.size < offset) {
      ino = current.ino
      offset = 0
    }
    if (current.size <= offset) return
    const fd = openSync(path, 'r')
    try {
      const buffer = Buffer.alloc(current.size - offset)
      const read = readSync(fd, buffer, 0, buffer.length, offset)
      offset += read
      onData(buffer.subarray(0, read).toString('utf8'))
    } finally {
      closeSync(fd)
    }
  }, intervalMs)
  return () => clearInterval(timer)
}

function statOrEmpty(path: string): {ino: number; size: number} {
  try {
    const {ino, size} = statSync(path)
    return {ino, size}
  } catch {
    return {ino: -1, size: 0}
  }
}
