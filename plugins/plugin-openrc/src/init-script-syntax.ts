/**
 * Writing values into an OpenRC init script so that sh, and openrc-run after it, read back exactly
 * the value meant.
 *
 * The rules (POSIX sh, "Shell Command Language"; openrc-run.sh and supervise-daemon.sh of OpenRC):
 * - The script is sourced by /bin/sh. A word in single quotes is taken literally, whatever it
 *   holds, and a `'` inside is written `'\''` (end the quotes, an escaped quote, quote again).
 *   A word of only the characters below is taken as written, so it stays bare (readable).
 * - NUL cannot be in a shell word at all, and newlines and other control characters have no
 *   place in a path, a user name or a PATH: every control character is refused.
 * - supervise-daemon.sh passes command, command_args, command_user, directory, output_log,
 *   error_log, retry and supervise_daemon_args to `eval` unquoted: the variable's value is split
 *   into fields at spaces, each field goes through pathname expansion, then eval joins the fields
 *   with one space and reads the result as sh again. So such a variable holds sh words
 *   (evalWords, each quoted as above, joined by one space), which come back intact as long as no
 *   word holds two spaces in a row (they would become one) and none holds `*`, `?` or `[` (the
 *   field could turn into the names of files that match it): those words are refused.
 */

// C0 and C1 controls and DEL.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/
/** Characters sh takes literally in a bare word, anywhere in it. */
const BARE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/
/** What the unquoted expansion before the eval would change: a run of spaces, a pattern character. */
const CHANGED_BY_SPLITTING = / {2}|[*?[]/
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A value that the init script cannot hold (the core reports it as bad input). */
export class InitScriptValueError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InitScriptValueError'
  }
}

/** Throws when `value` holds a control character, which no value of the init script may hold. */
export function checkInitScriptValue(value: string, what = 'a value'): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new InitScriptValueError(
      `${what} ${JSON.stringify(value)} contains a newline or control character, which an OpenRC init script cannot hold`,
    )
  }

  return value
}

/** Throws when `value` could not come back intact through supervise-daemon.sh's eval (see above). */
export function checkEvalWord(value: string, what = 'a value'): string {
  if (CHANGED_BY_SPLITTING.test(checkInitScriptValue(value, what))) {
    throw new InitScriptValueError(
      `${what} ${JSON.stringify(value)} contains two spaces in a row or one of * ? [, which openrc-run would change ` +
        '(it passes the command, the user, the folders and the PATH through eval unquoted)',
    )
  }

  return value
}

/** One sh word that reads back as `value`: bare when that is safe, else in single quotes. */
export function shellWord(value: string): string {
  checkInitScriptValue(value)
  return BARE_WORD.test(value) ? value : `'${value.replaceAll("'", String.raw`'\''`)}'`
}

/**
 * The value of a variable that supervise-daemon.sh expands unquoted inside `eval`: `values` as sh
 * words, joined by one space (the variable's assignment quotes this text once more).
 */
export function evalWords(...values: string[]): string {
  return values.map((value) => shellWord(checkEvalWord(value))).join(' ')
}

/**
 * Reads one sh word as sh would: bare characters, single-quoted parts and backslash escapes,
 * concatenated; undefined for anything else (a `$`, a double quote, an unterminated quote).
 */
export function readShellWord(text: string): string | undefined {
  let value = ''
  let index = 0
  while (index < text.length) {
    const character = text[index]!
    if (character === "'") {
      const end = text.indexOf("'", index + 1)
      if (end === -1) return undefined
      value += text.slice(index + 1, end)
      index = end + 1
    } else if (character === '\\' && index + 1 < text.length) {
      value += text[index + 1]
      index += 2
    } else if (BARE_WORD.test(character)) {
      value += character
      index++
    } else {
      return undefined
    }
  }

  return value
}

/**
 * The value of `export NAME=WORD` in an init script that this plugin wrote, read back; undefined
 * when there is no such line (the file was not written by tspm).
 */
export function readExportedVariable(scriptText: string, name: string): string | undefined {
  if (!VARIABLE_NAME.test(name)) throw new InitScriptValueError(`${JSON.stringify(name)} is not a variable name`)
  const prefix = `export ${name}=`
  for (const line of scriptText.split('\n')) {
    if (line.startsWith(prefix)) return readShellWord(line.slice(prefix.length))
  }

  return undefined
}
