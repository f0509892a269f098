import type {StartupPlatformsHook} from 'tspm-cli'

import {systemdPlatform} from '../systemd-platform.js'

/** Answers the core's `tspm:startup-platforms` hook: this plugin provides `tspm startup systemd`. */
const hook: StartupPlatformsHook = async () => [systemdPlatform]

export default hook
