import type {StartupPlatformsHook} from 'tspm-cli'

import {systemdPlatform} from '../systemd-platform.js'
import {systemdUserPlatform} from '../systemd-user-platform.js'

/** Answers the core's `tspm:startup-platforms` hook: `tspm startup systemd` and `tspm startup systemd-user`. */
const hook: StartupPlatformsHook = async () => [systemdPlatform, systemdUserPlatform]

export default hook
