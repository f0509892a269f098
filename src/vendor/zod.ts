/**
 * zod, for every module of tspm: import it from here, never from 'zod'. tsc compiles this file to
 * a re-export; the build (scripts/build.mjs) then writes zod bundled into this one file over it,
 * because Node 20 loads zod's hundred-odd modules one by one in 70-100 ms and the same code as one
 * file in about 35 ms, and that load is on the way of `tspm start -c` and `tspm resurrect` before
 * anything starts. The types stay zod's own.
 */
export {z} from 'zod'
