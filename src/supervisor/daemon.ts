/** The background supervisor that `tspm start` spawns (detached, its stdio on tspm.log). */
import {homePaths, resolveHome} from '../store/home.js'
import {runSupervisorProcess} from './main.js'

await runSupervisorProcess({paths: homePaths(resolveHome()), mode: 'daemon'})
