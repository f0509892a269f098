/**
 * Reader for env_file (dotenv format). The supervisor reads the file at every start of a process,
 * so this module must import nothing but node built-ins to keep the supervisor light.
 */
import {readFileSync} from 'node:fs'

/** A line of a dotenv text that cannot be parsed; `line` is 1-based. */
export class DotenvError extends Error {
  override name = 'DotenvError'

  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`)
  }
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/

/**
 * Parses KEY=VALUE lines. Blank lines and `#` comments are skipped and an `export ` prefix is
 * allowed. 'single quotes' are literal, "double quotes" understand \n \r \t \" \\ escapes, and
 * either kind may span lines (for PEM keys and the like). Unquoted values are trimmed and lose an
 * inline comment that starts with whitespace then `#` (so `a#b` keeps its `#`). A later
 * assignment of the same key wins. Throws a DotenvError naming the line of the first bad line.
 */
export function parseDotenv(text: string): Record<string, string> {
  const vars = new Map<string, string>()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i]!.trimStart()
    if (line.trim() === '' || line.startsWith('#')) continue
    const match = ASSIGNMENT.exec(line)
    if (!match) throw new DotenvError(lineNo, `expected KEY=VALUE, got ${JSON.stringify(line.trim())}`)
    const key = match[1]!
    const rest = match[2]!.trimStart()
    const quote = rest[0]
    if (quote !== '"' && quote !== "'") {
      // Cut at the first ` #`; whitespace before `#` is what makes it a comment.
      vars.set(key, match[2]!.replace(/\s#.*$/, '').trim())
      continue
    }

    let body = rest.slice(1)
    let close = closingQuote(body, quote)
    while (close < 0 && i + 1 < lines.length) {
      i++
      body += '\n' + lines[i]
      close = closingQuote(body, quote)
    }

    if (close < 0) throw new DotenvError(lineNo, `missing the closing ${quote} of the value of ${key}`)
    const after = body.slice(close + 1).trim()
    if (after !== '' && !after.startsWith('#')) {
      throw new DotenvError(
        i + 1,
        `expected nothing but a comment after the closing ${quote}, got ${JSON.stringify(after)}`,
      )
    }

    const raw = body.slice(0, close)
    vars.set(key, quote === "'" ? raw : unescapeDouble(raw))
  }

  // fromEntries defines own properties, so even a key like __proto__ survives as a plain entry.
  return Object.fromEntries(vars)
}

/** Index of the quote that ends the value, skipping backslash escapes inside double quotes. */
function closingQuote(body: string, quote: string): number {
  if (quote === "'") return body.indexOf("'")
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++
    else if (body[i] === '"') return i
  }

  return -1
}

function unescapeDouble(raw: string): string {
  const escapes: Record<string, string> = {n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\'}
  // An unknown escape such as \d keeps its backslash, which is what a Windows-ish path expects.
  return raw.replaceAll(/\\(.)/gs, (whole, ch: string) => escapes[ch] ?? whole)
}

/**
 * Reads and parses a dotenv file synchronously. Every failure is an Error whose message names the
 * path (and the line, for a parse error), ready to show as the reason a process did not start.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot read the file (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, expected a dotenv file'
            : `cannot read the file: ${(error as Error).message}`
    throw new Error(`env_file ${path}: ${why}`, {cause: error})
  }

  try {
    return parseDotenv(text)
  } catch (error) {
    if (error instanceof DotenvError) throw new Error(`env_file ${path}:${error.line}: ${error.detail}`, {cause: error})
    throw error
  }
}

/**
 * The dotenv text parseDotenv reads back to the same variables: every value in double quotes,
 * with \\, ", newlines, carriage returns and tabs escaped. `comment` goes first, as `#` lines.
 */
export function formatDotenv(vars: Record<string, string>, comment?: string): string {
  const escapes: Record<string, string> = {
    '\\': '\\\\',
    '"': String.raw`\"`,
    '\n': String.raw`\n`,
    '\r': String.raw`\r`,
    '\t': String.raw`\t`,
  }
  const lines = Object.entries(vars).map(
    ([name, value]) => `${name}="${value.replaceAll(/[\\"\n\r\t]/g, (ch) => escapes[ch]!)}"`,
  )
  return `${comment ? `${comment.replaceAll(/^/gm, '# ')}\n` : ''}${lines.join('\n')}\n`
}
