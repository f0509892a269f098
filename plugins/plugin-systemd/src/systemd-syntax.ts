/**
 * Writing values into a systemd unit file so that systemd reads back exactly the value meant.
 *
 * The rules (systemd.syntax(7), systemd.unit(5), systemd.service(5), systemd.exec(5)):
 * - A unit file is line based: a value can never hold a newline, and a line ending in `\` is
 *   continued on the next one. Control characters are refused outright.
 * - Specifiers: `%x` is expanded in most settings (ExecStart, Environment, WorkingDirectory,
 *   Description...), so a literal `%` is written `%%`. This applies to the raw line, before any
 *   unquoting, which is why it is done last, on top of the quoting.
 * - ExecStart= splits its line into words; a word may be wrapped in double quotes, inside which
 *   `\\` and `\"` are the escapes for a backslash and a quote. After that, at run time, `$NAME`
 *   and `${NAME}` are replaced by environment variables, and `$$` means a literal `$`.
 * - Environment= takes a list of assignments split like ExecStart words (quotes, `\\`, `\"`);
 *   there is no `$` expansion in it.
 * - Path settings such as WorkingDirectory= take the rest of the line as the path, without
 *   unquoting, after trimming whitespace: leading or trailing spaces cannot be written.
 */

// C0 and C1 controls and DEL.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export class UnitValueError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnitValueError'
  }
}

function checkOneLine(value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new UnitValueError(
      `${JSON.stringify(value)} contains a newline or control character, which a systemd unit cannot hold`,
    )
  }

  return value
}

/** What every value written into the unit goes through: one line, `%` made literal. */
export function escapeUnitValue(value: string): string {
  return checkOneLine(value).replaceAll('%', '%%')
}

/** Backslash and double quote escaped, for inside a double-quoted word. */
function quoteWord(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', String.raw`\"`)}"`
}

/** One word of an ExecStart= command line: quoted, and `$` kept literal (`$$`). */
export function execArgument(value: string): string {
  return quoteWord(checkOneLine(value)).replaceAll('$', () => '$$')
}

/** A whole ExecStart= command line: each word quoted as execArgument does, separated by spaces. */
export function execCommand(...words: string[]): string {
  return words.map((word) => execArgument(word)).join(' ')
}

/** One Environment= assignment `"NAME=value"`. */
export function environmentAssignment(name: string, value: string): string {
  if (!ENVIRONMENT_NAME.test(name))
    throw new UnitValueError(`${JSON.stringify(name)} is not an environment variable name`)
  return quoteWord(`${name}=${checkOneLine(value)}`)
}

/** An absolute path for a path setting (WorkingDirectory=), which systemd takes as written. */
export function pathSetting(value: string): string {
  checkOneLine(value)
  if (!value.startsWith('/')) throw new UnitValueError(`${JSON.stringify(value)} is not an absolute path`)
  if (value.trim() !== value)
    throw new UnitValueError(`${JSON.stringify(value)} starts or ends with whitespace, which systemd would drop`)
  // A final backslash would continue the line onto the next setting.
  if (value.endsWith('\\'))
    throw new UnitValueError(
      `${JSON.stringify(value)} ends with a backslash, which systemd reads as a line continuation`,
    )
  return value
}

/**
 * The value of an `Environment="NAME=..."` line that environmentAssignment wrote, read back
 * (undoing the quoting and the `%%`); undefined when the unit has no such line.
 */
export function readEnvironmentAssignment(unitText: string, name: string): string | undefined {
  for (const line of unitText.split('\n')) {
    const match = /^Environment="(.*)"\s*$/.exec(line.trim())
    if (!match) continue
    const assignment = match[1]!.replaceAll('%%', '%').replaceAll(/\\(.)/g, '$1')
    if (assignment.startsWith(`${name}=`)) return assignment.slice(name.length + 1)
  }

  return undefined
}

/**
 * The words of the `ExecStart=` line that execCommand wrote, read back (undoing the `%%`, the
 * quoting and the `$$`); undefined when the unit has no such line.
 */
export function readExecCommand(unitText: string): string[] | undefined {
  const line = unitText
    .split('\n')
    .map((entry) => entry.trim())
    .find((entry) => entry.startsWith('ExecStart='))
  if (line === undefined) return undefined
  const value = line.slice('ExecStart='.length).replaceAll('%%', '%')
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) =>
    (match[1] === undefined ? match[2]! : match[1].replaceAll(/\\(.)/g, '$1')).replaceAll('$$', '$'),
  )
}
