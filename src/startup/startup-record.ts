import {readFileSync} from 'node:fs'

import type {HomePaths} from '../home.js'

/** $TSPM_HOME/startup/startup.json: what `tspm startup` installed, so `unstartup` can remove it. */
export interface StartupRecord {
  platform: string
  service_name: string
  unit_path: string
  user: string
  home: string
  tspm_home: string
  runtime: string
  tspm: string
  tspm_version: string
  installed_at: string
}

export function readStartupRecord(paths: HomePaths): StartupRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.startupFile, 'utf8')) as StartupRecord
  } catch {
    return undefined
  }
}
