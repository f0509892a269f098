/** Which files are configs; kept apart so `tspm start` can tell before it loads the YAML parser. */

/** A PM2 ecosystem module: `ecosystem.config.js`, or any `*.config.js`, `.cjs`, `.mjs`. */
export const JS_CONFIG_PATTERN = /\.config\.[cm]?js$/i

/** A JSON config, read by JSON.parse (the YAML parser only for the places of its problems). */
export const JSON_CONFIG_PATTERN = /\.json$/i

/** The file names `tspm start FILE` takes as a config rather than a script to run. */
export function isConfigFile(file: string): boolean {
  return /\.(?:ya?ml|json)$/i.test(file) || JS_CONFIG_PATTERN.test(file)
}
