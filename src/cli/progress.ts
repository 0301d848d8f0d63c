// what a person watching a training run sees: a live bar on a terminal, plain lines in a log file or pipe

import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { BatchInfo, EpochInfo } from '../train/options.js';

export interface ProgressOptions {
  stream?: Writable & { isTTY?: boolean };
  // force the bar (true) or plain lines (false); default: the bar when the stream is a terminal
  tty?: boolean;
  // plain lines: one per this many iterations (default: a tenth of the run)
  every?: number;
}

// plain output: the longest silence between progress lines
const PLAIN_LINE_MS = 10_000;

// the running loss: an exponential average smooths the batch-to-batch noise
const SMOOTHING = 0.05;

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(perSecond >= 100 ? 0 : 1);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${(s - 60 * m).toFixed(1)} s`;
}

// one epoch, the book's "train acc, test acc" with the epoch's mean loss beside it
// (a regression's MSE and R² in their place, and the validation set's measure when there is one)
export function formatEpochLine(e: Pick<EpochInfo, 'epoch' | 'iteration' | 'loss' | 'trainAccuracy' | 'testAccuracy' | 'train' | 'validation' | 'test'>): string {
  const parts = [`epoch ${Number.isInteger(e.epoch) ? e.epoch : e.epoch.toFixed(2)}`.padEnd(9), `iteration ${e.iteration}`.padEnd(16), `loss ${e.loss.toFixed(4)}`];
  const sets = [['train', e.train, e.trainAccuracy], ['val', e.validation, e.validation?.accuracy], ['test', e.test, e.testAccuracy]] as const;
  for (const [name, m, accuracy] of sets) {
    if (m?.mse !== undefined) parts.push(`${name} mse ${m.mse.toFixed(4)} r2 ${m.r2!.toFixed(4)}`);
    else if (accuracy !== undefined) parts.push(`${name} acc ${accuracy.toFixed(4)}`);
  }
  return parts.join('  ');
}

export class Progress {
  private readonly stream: Writable & { isTTY?: boolean };
  private readonly tty: boolean;
  private readonly every: number | undefined;
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private smoothLoss = NaN;
  private lastDraw = 0;
  private lastPrinted = 0;
  private lastLineMs = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.every = options.every;
  }

  start(total: number): void {
    if (!this.tty) return;
    this.bars = new cliProgress.MultiBar(
      {
        stream: this.stream,
        format: 'train [{bar}] {percentage}% | {value}/{total} it | loss {loss} | {its} it/s | {sps} samples/s | ETA {eta_formatted}',
        hideCursor: true,
        fps: 10,
        etaBuffer: 200,
        // the bar must never swallow the Ctrl-C that stops training gracefully
        gracefulExit: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.bars.create(total, 0, { loss: '-', its: '-', sps: '-' });
  }

  batch(info: BatchInfo): void {
    this.smoothLoss = Number.isNaN(this.smoothLoss) ? info.loss : this.smoothLoss + SMOOTHING * (info.loss - this.smoothLoss);
    // throughput of the training steps alone: evaluation pauses would make it jump at every epoch
    const perSecond = (1000 * info.iteration) / info.trainTimeMs;
    if (this.bar) {
      // a redraw at most every 100 ms: the bar must not cost the training loop anything measurable
      if (info.elapsedMs - this.lastDraw < 100 && info.iteration !== info.totalIterations) return;
      this.lastDraw = info.elapsedMs;
      this.bar.update(info.iteration, { loss: this.smoothLoss.toFixed(4), its: formatRate(perSecond), sps: formatRate(perSecond * info.batchSize) });
      return;
    }
    // a line per tenth of the run, and at least one every 10 s so a long run still shows life
    const every = this.every ?? Math.max(1, Math.round(info.totalIterations / 10));
    const due = info.iteration % every === 0 || info.iteration === info.totalIterations || info.elapsedMs - this.lastLineMs >= PLAIN_LINE_MS;
    if (!due || info.iteration === this.lastPrinted) return;
    this.lastPrinted = info.iteration;
    this.lastLineMs = info.elapsedMs;
    const width = String(info.totalIterations).length;
    this.line(
      `iteration ${String(info.iteration).padStart(width)}/${info.totalIterations}  loss ${this.smoothLoss.toFixed(4)}  ` +
        `${formatRate(perSecond)} it/s  ${formatRate(perSecond * info.batchSize)} samples/s  ${formatDuration(info.elapsedMs)}`,
    );
  }

  epoch(info: EpochInfo): void {
    this.line(formatEpochLine(info));
  }

  // a line of text that must not be overdrawn by the bar
  line(text: string): void {
    if (this.bars) {
      // log() only queues the text; update() prints it above the bar now
      this.bars.log(text + '\n');
      this.bars.update();
    } else this.stream.write(text + '\n');
  }

  stop(): void {
    // a last redraw flushes queued lines and shows where the bar ended
    this.bars?.update();
    this.bars?.stop();
    this.bars = undefined;
    this.bar = undefined;
  }
}
