/**
 * Writing values into a launchd property list (XML plist) so that launchd reads back exactly the
 * value meant.
 *
 * The rules (XML 1.0, and the plist DTD that launchd.plist(5) files follow):
 * - Text in an element is parsed for markup: `&` starts an entity and `<` a tag, so both are
 *   always written as entities; `>`, `"` and `'` are written as entities too, so a value is safe
 *   wherever it lands (element text or an attribute).
 * - XML cannot hold most control characters at all (not even as `&#1;` in XML 1.0), and the few
 *   it can (tab, newline, carriage return) are not something a path, a label or a user name
 *   should ever contain: every C0 and C1 control and DEL is refused, as are the code points
 *   XML excludes (lone surrogates, U+FFFE, U+FFFF).
 */

// C0 and C1 controls and DEL.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/
// With the u flag a surrogate pair is one code point, so this finds only unpaired halves.
const NOT_XML_CHARACTER = /[\uD800-\uDFFF\uFFFE\uFFFF]/u

const ENTITIES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'}

/** A value that a plist cannot hold (the core reports it as bad input). */
export class PlistValueError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlistValueError'
  }
}

/** Throws when `value` holds a character a plist value cannot (or must not) hold. */
export function checkPlistValue(value: string, what = 'the value'): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new PlistValueError(
      `${what} ${JSON.stringify(value)} contains a newline or control character, which a launchd plist cannot hold; nothing was changed`,
    )
  }

  if (NOT_XML_CHARACTER.test(value)) {
    throw new PlistValueError(
      `${what} ${JSON.stringify(value)} contains a character that XML cannot hold (an unpaired surrogate, U+FFFE or U+FFFF); nothing was changed`,
    )
  }

  return value
}

/** What every `{{value}}` of the plist template goes through: checked, then XML-escaped. */
export function escapePlistValue(value: string): string {
  return checkPlistValue(value).replaceAll(/[&<>"']/g, (character) => ENTITIES[character]!)
}

/** The inverse of escapePlistValue for the five entities it writes (and numeric references). */
export function unescapePlistValue(text: string): string {
  return text.replaceAll(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10))
    return {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}[name] ?? entity
  })
}

/**
 * The string value of `name` in the plist's EnvironmentVariables, read back from a plist that
 * this plugin wrote; undefined when there is none (the file was not written by tspm).
 */
export function readEnvironmentVariable(plistText: string, name: string): string | undefined {
  const section = /<key>EnvironmentVariables<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(plistText)?.[1]
  if (section === undefined) return undefined
  const pair = /<key>([^<]*)<\/key>\s*<string>([^<]*)<\/string>/g
  for (const [, key, value] of section.matchAll(pair)) {
    if (unescapePlistValue(key!) === name) return unescapePlistValue(value!)
  }

  return undefined
}
