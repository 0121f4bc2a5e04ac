// Progress on stderr: a redrawn bar on a terminal, a line every few seconds elsewhere (logs, CI).
export interface ProgressBar {
  /** bytesPerSec and etaSeconds: the caller's own measure, where it has one. */
  update(done: number, total: number, label?: string, bytes?: boolean, bytesPerSec?: number, etaSeconds?: number | null): void;
  done(message?: string): void;
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function progressBar(title: string, opts: { bytes?: boolean; stream?: NodeJS.WriteStream; quiet?: boolean } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY;
  const started = Date.now();
  let lastLine = 0;
  return {
    update(done, total, label = title, bytes = opts.bytes, bytesPerSec, etaSeconds) {
      if (opts.quiet) return;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const elapsed = (Date.now() - started) / 1000;
      const eta = etaSeconds != null ? Math.round(etaSeconds) : frac > 0.02 ? Math.round((elapsed / frac) * (1 - frac)) : null;
      const fmt = (v: number) => (bytes ? formatBytes(v) : String(v));
      const rate = bytesPerSec ? ` ${formatBytes(bytesPerSec)}/s` : '';
      const text = `${label} ${(frac * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(total)}${rate}${eta !== null ? ` eta ${eta}s` : ''}`;
      if (tty) {
        const width = 24;
        const filled = Math.round(frac * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      } else if (Date.now() - lastLine > 2000 || frac === 1) {
        lastLine = Date.now();
        stream.write(`${text}\n`);
      }
    },
    done(message) {
      if (opts.quiet) return;
      if (tty) stream.write('\r\x1b[K');
      if (message) stream.write(`${message}\n`);
    },
  };
}
