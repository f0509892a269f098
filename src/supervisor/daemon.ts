/** The background supervisor that `tspm start` spawns (detached, its stdio on tspm.log). */
// First: no debugger may be opened by a signal, even while the rest loads.
import './no-debugger.js'
import {homePaths, resolveHome} from '../store/home.js'
import {runSupervisorProcess} from './main.js'

await runSupervisorProcess({paths: homePaths(resolveHome()), mode: 'daemon'})
