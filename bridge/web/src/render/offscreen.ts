/**
 * With a thousand server cards, a few dozen are on screen. Those are written in the frame that follows an event;
 * the others are brought up to date in idle time, and at once when they scroll near the viewport, so that the
 * time from event to painted screen does not grow with the fleet.
 */
export class OffscreenUpdates {
  private readonly offscreen = new WeakSet<Element>();
  private readonly pending = new Map<Element, () => void>();
  private readonly observer: IntersectionObserver;
  private idleScheduled = false;
  /** An idle slice stays short, so that an event arriving meanwhile waits at most this long for the main thread. */
  private static readonly SLICE_MS = 8;

  constructor() {
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) {
            this.offscreen.add(entry.target);
            continue;
          }
          this.offscreen.delete(entry.target);
          this.flush(entry.target);
        }
      },
      { rootMargin: '300px 0px' },
    );
  }

  observe(element: Element): void {
    this.observer.observe(element);
  }

  forget(element: Element): void {
    this.observer.unobserve(element);
    this.pending.delete(element);
  }

  /** Runs `write` now when the element is on (or near) the screen or not yet placed; else later, replacing an earlier pending write. */
  write(element: Element, write: () => void): void {
    if (!this.offscreen.has(element)) {
      this.pending.delete(element);
      write();
      return;
    }
    this.pending.set(element, write);
    this.scheduleIdle();
  }

  private flush(element: Element): void {
    const write = this.pending.get(element);
    if (!write) return;
    this.pending.delete(element);
    write();
  }

  private scheduleIdle(): void {
    if (this.idleScheduled) return;
    this.idleScheduled = true;
    const run = (timeLeft: () => number) => {
      this.idleScheduled = false;
      const end = performance.now() + OffscreenUpdates.SLICE_MS;
      for (const [element, write] of this.pending) {
        if (timeLeft() <= 1 || performance.now() >= end) break;
        this.pending.delete(element);
        write();
      }
      if (this.pending.size > 0) this.scheduleIdle();
    };
    if (typeof requestIdleCallback === 'function') {
      requestIdleCallback((deadline) => run(() => deadline.timeRemaining()), { timeout: 2_000 });
    } else {
      setTimeout(() => run(() => Number.POSITIVE_INFINITY), 50);
    }
  }
}
