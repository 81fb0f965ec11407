/**
 * Progress on stderr (stdout stays clean for --json). On a TTY: one bar per active
 * blob plus a total line with rate and ETA, redrawn in place. Elsewhere (CI, pipes):
 * a plain line when a blob starts and finishes, and a periodic line for long ones.
 */
import type { Descriptor } from '../model/descriptor.js';
import type { BlobAction, ProgressSink } from '../copy/progress.js';

interface BlobState {
  desc: Descriptor;
  action: BlobAction;
  done: number;
  started: number;
  lastLine: number;
}

const VERB: Record<BlobAction, string> = { copy: 'Copying', encrypt: 'Encrypting', decrypt: 'Decrypting', rewrap: 'Copying', reencrypt: 'Re-encrypting', reuse: 'Reusing' };

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function short(d: Descriptor): string {
  return d.digest.slice(0, 19);
}

export class ConsoleProgress implements ProgressSink {
  private readonly active = new Map<string, BlobState>();
  private readonly tty: boolean;
  private readonly t0 = Date.now();
  private totalBytes = 0;
  private totalDone = 0;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly periodMs = 10_000,
  ) {
    this.tty = !!out.isTTY;
  }

  blobStarted(desc: Descriptor, action: BlobAction): void {
    this.active.set(desc.digest, { desc, action, done: 0, started: Date.now(), lastLine: Date.now() });
    this.totalBytes += desc.size;
    if (this.tty) this.schedule();
    else this.line(`${VERB[action]} blob ${short(desc)} (${formatBytes(desc.size)})`);
  }

  blobProgress(desc: Descriptor, bytes: number): void {
    const s = this.active.get(desc.digest);
    if (!s) return;
    s.done += bytes;
    this.totalDone += bytes;
    const now = Date.now();
    if (!this.tty && now - s.lastLine >= this.periodMs) {
      s.lastLine = now;
      this.line(`  ${short(desc)}: ${formatBytes(s.done)} / ${formatBytes(desc.size)} (${rate(s.done, now - s.started)})`);
    }
  }

  blobDone(desc: Descriptor, action: BlobAction): void {
    const s = this.active.get(desc.digest);
    this.active.delete(desc.digest);
    if (this.tty) {
      this.redraw();
      this.line(`${action === 'reuse' ? 'Blob' : 'Done'} ${short(desc)}${action === 'reuse' ? ' already present, skipped' : ` ${formatBytes(desc.size)}`}`);
    } else if (action === 'reuse') {
      this.line(`Copying blob ${short(desc)} skipped: already exists`);
    } else {
      this.line(`${VERB[action]} blob ${short(desc)} done${s ? ` in ${((Date.now() - s.started) / 1000).toFixed(1)} s` : ''}`);
    }
  }

  blobFailed(desc: Descriptor): void {
    this.active.delete(desc.digest);
    if (this.tty) this.redraw();
  }

  note(message: string): void {
    this.line(message);
  }

  /** Stops redrawing and clears the bars. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    if (this.tty) this.draw();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.redraw(), 100);
    this.timer.unref();
  }

  private redraw(): void {
    this.clear();
    this.draw();
    if (this.active.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (this.active.size === 0) return;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const lines = [...this.active.values()].map((s) => `${VERB[s.action].padEnd(10)} ${short(s.desc)} ${bar(s.done, s.desc.size, width)} ${formatBytes(s.done)} / ${formatBytes(s.desc.size)}`);
    const elapsed = Date.now() - this.t0;
    const bps = this.totalDone / Math.max(elapsed / 1000, 0.001);
    const eta = bps > 0 ? Math.max(0, (this.totalBytes - this.totalDone) / bps) : 0;
    lines.push(`Total      ${bar(this.totalDone, this.totalBytes, width)} ${formatBytes(this.totalDone)} / ${formatBytes(this.totalBytes)} ${rate(this.totalDone, elapsed)} ETA ${eta.toFixed(0)} s`);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}

function bar(done: number, total: number, width: number): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const n = Math.round(f * width);
  return `[${'='.repeat(n)}${' '.repeat(width - n)}]`;
}

function rate(bytes: number, ms: number): string {
  return `${formatBytes(bytes / Math.max(ms / 1000, 0.001))}/s`;
}
