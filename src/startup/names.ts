import {ExitCode, TspmError} from '../model/exit-codes.js'
import {SERVICE_NAME_PATTERN, USER_NAME_PATTERN} from '../model/names.js'

// C0 and C1 controls and DEL: no service definition format can hold them on one line.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/

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
