import type {Hook} from '@oclif/core'
import {statSync} from 'node:fs'

import {resolveHome} from '../../home.js'

/** Catches a TSPM_HOME that cannot work before any command acts on it. */
const hook: Hook.Init = async function () {
  const home = resolveHome()
  try {
    if (!statSync(home).isDirectory()) this.error(`TSPM_HOME=${home} is not a directory; point TSPM_HOME at a folder (or unset it for ~/.tspm)`, {exit: 2})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

export default hook
