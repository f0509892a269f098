import type {TemplateFormat} from './platform.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'

/** The helper every `{{expression}}` is routed through; a name no template would choose. */
const ESCAPE_HELPER = 'tspm-escape'

type Renderer = (template: string, data: object, format: TemplateFormat) => string

/**
 * Loads Handlebars (only the commands that render need it) and returns a renderer whose
 * `{{expression}}` output goes through the format's own escaping instead of HTML escaping.
 * Handlebars' escapeExpression is one global function, so instead of swapping it, the parsed
 * template is rewritten: every escaped mustache `{{x}}` becomes the raw `{{{tspm-escape x}}}`.
 * A template's own raw mustache (`{{{x}}}`, `{{& x}}`) or partial would bypass the format's
 * escaping, so it is refused; so is a value the format cannot hold, with the format's reason.
 */
export async function loadTemplateRenderer(): Promise<Renderer> {
  const {default: Handlebars} = await import('handlebars')
  return (template, data, format) => {
    const hb = Handlebars.create()
    hb.registerHelper(ESCAPE_HELPER, (value: unknown) => format.escape(asText(value)))
    for (const [name, helper] of Object.entries(format.helpers ?? {})) {
      // The last argument Handlebars passes is its options object; a list argument gives its items.
      hb.registerHelper(name, (...args: unknown[]) =>
        helper(...args.slice(0, -1).flatMap((arg) => (Array.isArray(arg) ? arg.map(asText) : [asText(arg)]))),
      )
    }

    const ast = hb.parse(template)
    routeThroughEscape(ast as unknown as AstNode)
    try {
      // strict: a value the template names but the data lacks is an error, not an empty string.
      return hb.compile(ast, {strict: true})(data)
    } catch (error) {
      throw new TspmError(`cannot write the service definition: ${(error as Error).message}; nothing was changed`, {
        exit: ExitCode.usage,
        code: 'bad_value',
      })
    }
  }
}

/** Thrown for a template that could write a value without the format's escaping: a platform's bug. */
export class UnsafeTemplateError extends Error {
  override name = 'UnsafeTemplateError'
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new TypeError(`a template value must be text or a number, got ${value === null ? 'null' : typeof value}`)
}

interface AstNode {
  type: string
  body?: AstNode[]
  program?: AstNode
  inverse?: AstNode
  path?: AstNode
  params?: AstNode[]
  hash?: AstNode
  escaped?: boolean
  loc?: unknown
  [key: string]: unknown
}

function routeThroughEscape(node: AstNode | undefined): void {
  if (!node) return
  switch (node.type) {
    case 'BlockStatement': {
      routeThroughEscape(node.program)
      routeThroughEscape(node.inverse)

      break
    }

    case 'Program': {
      for (const child of node.body ?? []) routeThroughEscape(child)
      break
    }

    case 'DecoratorBlock':
    case 'PartialBlockStatement':
    case 'PartialStatement': {
      throw new UnsafeTemplateError(`a service template may not use partials or decorators (line ${lineOf(node)})`)
    }

    default: {
      if (node.type === 'MustacheStatement' && !node.escaped) {
        throw new UnsafeTemplateError(
          `a service template may not write a raw value with {{{...}}} or {{&...}} (line ${lineOf(node)}): every value must go through the format's escaping`,
        )
      } else if (node.type === 'MustacheStatement') {
        const {path, params = [], hash, loc} = node
        // `{{helper a b}}` keeps being a helper call, as a subexpression; `{{value}}` is a plain lookup.
        const inner = params.length > 0 || hash ? {type: 'SubExpression', path, params, hash, loc} : path
        node.path = {
          type: 'PathExpression',
          data: false,
          depth: 0,
          parts: [ESCAPE_HELPER],
          original: ESCAPE_HELPER,
          loc,
        }
        node.params = [inner as AstNode]
        node.hash = undefined
        node.escaped = false
      }
    }
  }
}

function lineOf(node: AstNode): number | string {
  return (node.loc as undefined | {start?: {line?: number}})?.start?.line ?? '?'
}
