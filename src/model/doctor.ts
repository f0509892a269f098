/** One check of `tspm doctor`: what it looked at, whether all is well, and what to do when not. */
export interface DoctorCheck {
  /** Stable name of the check: `home`, `supervisor`, `saved-list`, `startup-service`, ... */
  id: string
  ok: boolean
  /** What was found, in a sentence. */
  message: string
  /** What to do about it; null when all is well. */
  fix: null | string
}
