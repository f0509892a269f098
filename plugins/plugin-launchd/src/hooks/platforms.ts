import type {StartupPlatformsHook} from 'tspm-cli'

import {launchdPlatform} from '../launchd-platform.js'

/** Answers the core's `tspm:startup-platforms` hook: this plugin provides `tspm startup launchd`. */
const hook: StartupPlatformsHook = async () => [launchdPlatform]

export default hook
