/**
 * zod, for every module of tspm: `import * as z from '../vendor/zod.js'`, never from 'zod'. It is
 * zod's functional API (zod/mini): the same schemas, parsers and messages as `z.string().min(1)`,
 * written `z.string().check(z.minLength(1))`. Its schemas carry no methods of their own, so building
 * ours costs a third of the time, and the build (scripts/build.mjs) bundles into this one file only
 * the functions listed here: about 60 KB, loaded in 4 ms, against 750 KB and 30 ms for all of zod.
 * That load and that build are on the way of `tspm start -c` and `tspm resurrect` before anything
 * starts. A schema that needs another function of zod gets it added here.
 */
import {config} from 'zod/mini'
import en from 'zod/v4/locales/en.js'

// zod/mini leaves its messages to the caller's locale; a dump that does not read back names the
// problem in English, as the rest of tspm does.
config(en())

export {
  _default,
  array,
  boolean,
  custom,
  discriminatedUnion,
  enum,
  extend,
  int,
  literal,
  maximum,
  minimum,
  minLength,
  NEVER,
  nonnegative,
  nullable,
  number,
  object,
  optional,
  pipe,
  positive,
  record,
  refine,
  regex,
  strictObject,
  string,
  transform,
  union,
  unknown,
  url,
} from 'zod/mini'
export type {input, output} from 'zod/mini'
