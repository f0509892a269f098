import type {DoctorCheck} from '../model/doctor.js'

import {paint} from './format.js'

/** `tspm doctor`'s checklist: ✓ or ✗ and what was found, then the fix of each problem. */
export function renderChecklist(checks: DoctorCheck[], colour: boolean): string {
  return checks
    .map((check) => {
      const mark = check.ok ? paint('✓', 'green', colour) : paint('✗', 'red', colour)
      const fix = check.fix ? `\n  ${paint('fix:', 'yellow', colour)} ${check.fix}` : ''
      return `${mark} ${check.message}${fix}`
    })
    .join('\n')
}
