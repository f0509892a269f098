import {ExitCode, TspmError} from '../exit-codes.js'

/**
 * Login names as useradd accepts them (without the rare trailing `$`): no quote, space, `;`,
 * `%` or control character can pass, so a name is safe in a unit file and in a command line.
 */
export const USER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
/** Letters, digits, `-`, `_`, `.`; not first `.` (a hidden file) or `-` (read as a flag). */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/
/** What users type after `tspm startup`, and what goes into `tspm plugins install tspm-<name>`. */
export const PLATFORM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,49}$/
export const DEFAULT_SERVICE_NAME = 'tspm'

// C0 and C1 controls and DEL: no service definition format can hold them on one line.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/

export function checkUserName(name: string, where: string): string {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new TspmError(
      `invalid user name ${JSON.stringify(name)} (${where}): use letters, digits, ".", "_" and "-", starting with a letter or "_"; nothing was changed`,
      {exit: ExitCode.usage, code: 'bad_user'},
    )
  }
  return name
}

export function checkServiceName(name: string): string {
  if (!SERVICE_NAME_PATTERN.test(name)) {
    throw new TspmError(
      `invalid --service-name ${JSON.stringify(name)}: use letters, digits, "-", "_" and "." only (not first "." or "-"); nothing was changed`,
      {exit: ExitCode.usage, code: 'bad_service_name'},
    )
  }
  return name
}

/** A value that ends up in a service definition: one line, printable. */
export function checkPrintable(value: string, what: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new TspmError(
      `${what} ${JSON.stringify(value)} contains a newline or control character, which a service definition cannot hold; nothing was changed`,
      {
        exit: ExitCode.usage,
        code: 'bad_value',
      },
    )
  }
  return value
}

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value)
}
