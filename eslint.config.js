// eslint-config-oclif (the rules of oclif's own repositories), with prettier owning the layout.
// The few rules turned off below fight what this code base is, each for the reason given.
import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [
  // test/fixtures/apps are stand-ins for users' apps, written as users write them (CommonJS too).
  {
    ignores: [
      '**/dist/**',
      'dist-test/**',
      'node_modules/**',
      'bench/results/**',
      '.cache/**',
      '**/oclif.manifest.json',
      'test/fixtures/**',
    ],
  },
  ...oclif,
  prettier,
  {
    rules: {
      // Config keys, dump fields and API bodies are PM2's snake_case names (kill_timeout, ...).
      camelcase: 'off',
      // Fields and object keys are written in the order a reader (and a JSON file) shows them.
      'perfectionist/sort-classes': 'off',
      'perfectionist/sort-interfaces': 'off',
      'perfectionist/sort-object-types': 'off',
      'perfectionist/sort-objects': 'off',
      // Polling a process or a socket until a deadline is sequential by nature.
      'no-await-in-loop': 'off',
      // File modes (0o7777) and /proc fields are bit masks.
      'no-bitwise': 'off',
      // A small named helper beside the one function that uses it reads better than one far above.
      'unicorn/consistent-function-scoping': 'off',
      // Passing a named function of ours to map() is what it looks like; the rule guards against library callbacks.
      'unicorn/no-array-callback-reference': 'off',
      // The tests run on node:test, not mocha.
      ...Object.fromEntries(
        Object.keys(oclif.find((config) => config.plugins?.mocha)?.plugins.mocha.rules ?? {}).map((rule) => [
          `mocha/${rule}`,
          'off',
        ]),
      ),
    },
  },
  {
    files: ['test/**'],
    rules: {
      // The tests run on the Node of the machine (20.20), where fetch, cpSync and describe are there.
      'n/no-unsupported-features/node-builtins': 'off',
      // Shell and systemd snippets in strings hold ${...} on purpose.
      'no-template-curly-in-string': 'off',
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'bin/**'],
    rules: {
      // Command-line programs of their own: they end with the exit code they decide.
      'n/no-process-exit': 'off',
      'unicorn/no-process-exit': 'off',
      // They import the build (dist/), which exists only after `npm run build`; lint runs before it too.
      'import/no-unresolved': ['error', {ignore: ['/dist/']}],
    },
  },
]
