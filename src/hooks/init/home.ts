import type {Hook} from '@oclif/core'

import {TspmError} from '../../exit-codes.js'
import {checkHome, resolveHome} from '../../home.js'

/** Catches a TSPM_HOME that cannot work before any command acts on it. */
const hook: Hook.Init = async function () {
  try {
    checkHome(resolveHome())
  } catch (error) {
    if (error instanceof TspmError) this.error(error.message, {exit: error.exitCode})
    throw error
  }
}

export default hook
