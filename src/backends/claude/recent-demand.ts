/**
 * How many requests the backend answered at once, lately: the current level and its peak over the last
 * `windowMs`. Ready processes beyond the recent peak are spare (recycled-processes.ts gives them up): after a
 * burst the peak falls back to the steady concurrency once the window has passed, and so do the processes kept.
 */

/** A level that lasted until `until` (ms since the epoch). */
interface EndedLevel {
  level: number;
  until: number;
}

export class RecentDemand {
  private level = 0;
  /** Ended levels within the window, each higher than every later one (a monotonic queue: the first is the peak). */
  private readonly ended: EndedLevel[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Requests being answered now. */
  get current(): number {
    return this.level;
  }

  /** A request began. */
  rise(): void {
    this.change(this.level + 1);
  }

  /** A request ended. */
  fall(): void {
    this.change(Math.max(0, this.level - 1));
  }

  /**
   * Whether a burst is draining: fewer than half as many requests are answered now as at the recent peak (a
   * steady load fluctuates by a request or so around its peak and does not count). One request is no burst: once
   * it ends, the warm pool must still refill (its refill, started at the first token, may only run after the end).
   */
  draining(): boolean {
    const peak = this.recentPeak();
    return peak >= 2 && this.level * 2 < peak;
  }

  /** The highest level over the last `windowMs`, the current one included. */
  recentPeak(): number {
    this.forgetOld(this.now());
    return Math.max(this.level, this.ended[0]?.level ?? 0);
  }

  private change(next: number): void {
    const now = this.now();
    // A later level at least as high makes an earlier lower one irrelevant for the peak.
    while (this.ended.length > 0 && this.ended[this.ended.length - 1].level <= this.level) this.ended.pop();
    this.ended.push({ level: this.level, until: now });
    this.level = next;
    this.forgetOld(now);
  }

  private forgetOld(now: number): void {
    while (this.ended.length > 0 && now - this.ended[0].until > this.windowMs) this.ended.shift();
  }
}
