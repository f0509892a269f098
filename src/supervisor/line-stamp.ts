const NEWLINE = 0x0a

/**
 * Puts the time a line arrived in front of it, as PM2 does with log_date_format (`<time>: line`):
 * at the start of each line only, so a line that comes in several chunks gets one stamp.
 *
 * A flood is stamped at several hundred MB/s: the stamp is formatted once per millisecond, and a
 * chunk is stamped by native string code in one pass instead of line by line. The chunk is seen
 * as latin1, one character per byte, so it goes back to exactly the same bytes (UTF-8 or not).
 */
export class LineStamper {
  private atLineStart = true
  private stampedAt: number | undefined
  /** The stamp and `: `, as latin1 characters of its UTF-8 bytes. */
  private prefix = ''
  private newlineAndPrefix = '\n'

  constructor(private readonly format: (ms: number) => string) {}

  stamp(chunk: Buffer, now: number): Buffer {
    if (now !== this.stampedAt) {
      this.prefix = Buffer.from(`${this.format(now)}: `).toString('latin1')
      this.newlineAndPrefix = `\n${this.prefix}`
      this.stampedAt = now
    }

    // A newline that ends the chunk gets its stamp with the next chunk, if one comes.
    const endsAtLineEnd = chunk.at(-1) === NEWLINE
    let text = chunk
      .toString('latin1', 0, endsAtLineEnd ? chunk.length - 1 : chunk.length)
      .replaceAll('\n', this.newlineAndPrefix)
    if (this.atLineStart) text = this.prefix + text
    if (endsAtLineEnd) text += '\n'
    this.atLineStart = endsAtLineEnd
    return Buffer.from(text, 'latin1')
  }
}
