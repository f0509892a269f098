#!/usr/bin/env node
import {isFastListArgv, runFastList} from '../dist/fast-list.js'

const argv = process.argv.slice(2)
if (isFastListArgv(argv)) {
  await runFastList(argv)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
