/**
 * Puts the time a line arrived in front of it, as PM2 does with log_date_format (`<time>: line`):
 * at the start of each line only, so a line that comes in several chunks gets one stamp.
 */
export class LineStamper {
  private atLineStart = true

  constructor(private readonly format: (ms: number) => string) {}

  stamp(chunk: Buffer, now: number): Buffer {
    const prefix = Buffer.from(`${this.format(now)}: `)
    const parts: Buffer[] = []
    let start = 0
    while (start < chunk.length) {
      if (this.atLineStart) parts.push(prefix)
      const newline = chunk.indexOf(0x0a, start)
      if (newline === -1) {
        parts.push(chunk.subarray(start))
        this.atLineStart = false
        break
      }

      parts.push(chunk.subarray(start, newline + 1))
      this.atLineStart = true
      start = newline + 1
    }

    return Buffer.concat(parts)
  }
}
