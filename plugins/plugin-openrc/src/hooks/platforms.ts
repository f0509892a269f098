import type {StartupPlatformsHook} from 'tspm-cli'

import {openrcPlatform} from '../openrc-platform.js'

/** Answers the core's `tspm:startup-platforms` hook: this plugin provides `tspm startup openrc`. */
const hook: StartupPlatformsHook = async () => [openrcPlatform]

export default hook
