/**
 * Names of processes, as config files, the CLI and the supervisor all check them. Kept apart from
 * the zod schema (process-spec.ts) so that the commands that only check a name load no zod.
 */

/**
 * Letters, digits, `.`, `_`, `-`, starting with a letter or digit (not a hidden file, not read as a
 * flag), at most 200 long: with `-err-1024.log.100` after it, a log file name stays within the 255
 * bytes a file name may have.
 */
export const PROCESS_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/
export const PROCESS_NAME_RULE = 'a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit'

/** `all` means every process in stop, restart and delete, so no process may carry that name. */
export const RESERVED_PROCESS_NAME = 'all'
export const RESERVED_NAME_MESSAGE = `"${RESERVED_PROCESS_NAME}" is reserved (stop, restart and delete use it for every process); choose another name`

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
