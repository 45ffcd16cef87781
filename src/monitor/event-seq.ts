/**
 * Event sequence numbers, unique and increasing across monitor restarts on
 * one state directory. Numbers are handed out from a block reserved in the
 * journal: before the first number past the reserved ceiling is used, the
 * ceiling is raised by SEQ_BLOCK and the journal written (`reserve`). A new
 * monitor starts above the journaled ceiling (and above the last event in
 * events.jsonl), so even after kill -9 no number is used twice. Gaps are
 * normal (a block is not used up).
 */
export const SEQ_BLOCK = 1_000;

export class EventSeq {
  private n = 0;
  /** Numbers up to this one are reserved (journaled). */
  ceiling = 0;
  reserve: () => void = () => {};

  /** Continue above `floor` (journal ceiling, last logged seq). */
  resumeAbove(floor: number): void {
    if (floor > this.n) this.n = floor;
    if (this.ceiling < this.n) this.ceiling = this.n;
  }

  next(): number {
    const s = ++this.n;
    if (s > this.ceiling) {
      this.ceiling = s + SEQ_BLOCK;
      this.reserve();
    }
    return s;
  }
}
