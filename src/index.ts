export type {ProcessSpec} from './model/process-spec.js'
/**
 * The public API of the tspm-cli package, for plugin authors: the startup platform contract, the
 * toolkit it comes with, and the shapes it refers to. Import types only (`import type`), so a
 * plugin needs no runtime dependency on the core.
 */
export type {
  CommandResult,
  DefinitionFile,
  DefinitionFileSpec,
  ExecOptions,
  ServiceInspection,
  StartupContext,
  StartupExit,
  StartupPlatform,
  StartupPlatformsHook,
  StartupPlatformsHookOptions,
  StartupScope,
  StartupStep,
  StartupToolkit,
  StartupUser,
  TemplateFormat,
} from './startup/platform.js'
export type {StartupRecord} from './store/startup-record.js'
