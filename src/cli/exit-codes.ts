/** Documented in the README; scripts depend on them, so never renumber. */
export const EXIT = {
  ok: 0,
  /** A connector run failed, a config test failed, or a preview found rejects with --strict. */
  failed: 1,
  /** The config is invalid (file, path and expectation printed on stderr). */
  configInvalid: 2,
  /**
   * Every connector ran, but some records went to dead letters or some files were rejected
   * (`run --fail-on`, default dead-letters). Cron and systemd see a non-zero code and can alert.
   */
  completedWithProblems: 4,
  /** Unexpected internal error (a bug: please report it). */
  internal: 3,
  /** Wrong command-line usage. */
  usage: 64,
} as const;
