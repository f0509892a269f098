/**
 * The public API of the tspm package, for plugin authors: the startup platform contract and the
 * shapes it refers to. Import types only (`import type`), so a plugin needs no runtime dependency.
 */
export type {
  CommandResult,
  StartupContext,
  StartupPlatform,
  StartupPlatformsHook,
  StartupPlatformsHookOptions,
  StartupStep,
  StartupUser,
  TemplateFormat,
} from './startup/platform.js'
export type {StartupRecord} from './startup/startup-record.js'
export type {ProcessSpec} from './process-spec.js'
