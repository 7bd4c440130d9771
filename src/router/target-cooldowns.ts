/**
 * Targets that recently failed, shared by every request: a target an upstream told to wait (429 with
 * retry-after) is skipped until then; one that failed otherwise is tried after the others for a short while.
 */

export interface Cooldown {
  /** When the target may be tried first again (ms since the epoch). */
  until: number;
  /** The upstream gave retry-after: the target is skipped, not just tried last. */
  strict: boolean;
  /** The status that started it, for the reason shown to clients. */
  status: number;
}

export class TargetCooldowns {
  private readonly cooldowns = new Map<string, Cooldown>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The cooldown of a target, if one is running. */
  get(target: string): Cooldown | undefined {
    const cooldown = this.cooldowns.get(target);
    if (!cooldown) return undefined;
    if (cooldown.until <= this.now()) {
      this.cooldowns.delete(target);
      return undefined;
    }
    return cooldown;
  }

  /** Seconds left of a target's cooldown (0 when none). */
  remainingSeconds(target: string): number {
    const cooldown = this.get(target);
    return cooldown ? Math.max(0, (cooldown.until - this.now()) / 1000) : 0;
  }

  /** Starts (or extends) a cooldown: `retryAfterSeconds` from the upstream makes it strict. */
  start(target: string, options: { status: number; retryAfterSeconds?: number; defaultMs: number }): void {
    const strict = options.retryAfterSeconds !== undefined;
    const until = this.now() + (strict ? options.retryAfterSeconds! * 1000 : options.defaultMs);
    const current = this.get(target);
    if (current && current.until >= until && (current.strict || !strict)) return;
    this.cooldowns.set(target, { until, strict, status: options.status });
  }

  /** A target answered: it is not cooling down any more. */
  clear(target: string): void {
    this.cooldowns.delete(target);
  }
}
