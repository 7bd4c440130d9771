/**
 * When a new conversation may take over the process of one of the same client's idle conversations (rather
 * than start a process). Taking it over saves a start-up now (about 1.3 s of CPU) and costs a replay (a
 * start-up) only if the old conversation comes back. So the relay takes over idle conversations as long as
 * that rarely happens for this client: it remembers the conversations it took over, and when more than half
 * of the client's recent take-overs came back (within `windowMs`), it stops until they age out.
 */
export interface StealPolicyOptions {
  /** Take-overs older than this no longer count. */
  windowMs: number;
  /** Take-overs remembered per client. */
  remembered?: number;
}

interface TakeOver {
  at: number;
  fingerprint: string;
  cameBack: boolean;
}

export class StealPolicy {
  private readonly byClient = new Map<string, TakeOver[]>();
  private readonly byFingerprint = new Map<string, TakeOver>();

  constructor(private readonly options: StealPolicyOptions) {}

  /** Whether a new conversation of this client may take over one of its idle conversations. */
  mayTakeOver(clientKey: string, now = Date.now()): boolean {
    const recent = this.recent(clientKey, now);
    const cameBack = recent.filter((takeOver) => takeOver.cameBack).length;
    return cameBack * 2 <= recent.length;
  }

  /** Records that a conversation (by its live fingerprint) was taken over. */
  noteTakeOver(clientKey: string, fingerprint: string, now = Date.now()): void {
    const takeOver: TakeOver = { at: now, fingerprint, cameBack: false };
    const list = this.recent(clientKey, now);
    list.push(takeOver);
    while (list.length > (this.options.remembered ?? 8)) this.byFingerprint.delete(list.shift()!.fingerprint);
    this.byClient.set(clientKey, list);
    this.byFingerprint.set(fingerprint, takeOver);
  }

  /** A conversation is continued by replay: true when it was one the relay took over (a regret). */
  noteReplay(fingerprint: string): boolean {
    const takeOver = this.byFingerprint.get(fingerprint);
    if (!takeOver) return false;
    takeOver.cameBack = true;
    this.byFingerprint.delete(fingerprint);
    return true;
  }

  private recent(clientKey: string, now: number): TakeOver[] {
    const list = (this.byClient.get(clientKey) ?? []).filter((takeOver) => {
      const fresh = now - takeOver.at < this.options.windowMs;
      if (!fresh) this.byFingerprint.delete(takeOver.fingerprint);
      return fresh;
    });
    if (list.length > 0) this.byClient.set(clientKey, list);
    else this.byClient.delete(clientKey);
    return list;
  }
}
