// timing for the benchmark: warm up, then the median of several repetitions, each averaging many calls

export interface Timing {
  median: number; // ms per call
  min: number;
  max: number;
  reps: number;
  callsPerRep: number;
}

export interface TimingOptions {
  warmup?: number; // calls before timing, so the JIT and BLAS's thread pool settle
  reps?: number;
  minRepMs?: number; // each repetition runs at least this long, so timer noise averages out
}

export function time(fn: () => void, { warmup = 20, reps = 7, minRepMs = 100 }: TimingOptions = {}): Timing {
  for (let i = 0; i < warmup; i++) fn();
  // size one repetition from a probe, so tiny and huge steps both get enough calls
  const probeStart = performance.now();
  fn();
  const callsPerRep = callsPerRepFor(performance.now() - probeStart, minRepMs);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < callsPerRep; i++) fn();
    samples.push((performance.now() - start) / callsPerRep);
  }
  return summarize(samples, callsPerRep);
}

// several functions timed in turns (a repetition of each, then the next round), so a noisy machine's
// drift hits them all alike and their ratios stay fair; one Timing per function, in order
export function timeInTurns(fns: (() => void)[], { warmup = 20, reps = 7, minRepMs = 100 }: TimingOptions = {}): Timing[] {
  const callsPerRep = fns.map((fn) => {
    for (let i = 0; i < warmup; i++) fn();
    const probeStart = performance.now();
    fn();
    return callsPerRepFor(performance.now() - probeStart, minRepMs);
  });
  const samples = fns.map((): number[] => []);
  for (let r = 0; r < reps; r++) {
    fns.forEach((fn, f) => {
      const start = performance.now();
      for (let i = 0; i < callsPerRep[f]!; i++) fn();
      samples[f]!.push((performance.now() - start) / callsPerRep[f]!);
    });
  }
  return samples.map((s, f) => summarize(s, callsPerRep[f]!));
}

function callsPerRepFor(probeMs: number, minRepMs: number): number {
  return Math.max(1, Math.ceil(minRepMs / Math.max(probeMs, 1e-4)));
}

function summarize(samples: number[], callsPerRep: number): Timing {
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1]!, min: samples[0]!, max: samples[samples.length - 1]!, reps: samples.length, callsPerRep };
}

// the same for an async call (ONNX Runtime's run): each call awaited before the next starts
export async function timeAsync(fn: () => Promise<unknown>, { warmup = 20, reps = 7, minRepMs = 100 }: TimingOptions = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const probeStart = performance.now();
  await fn();
  const callsPerRep = callsPerRepFor(performance.now() - probeStart, minRepMs);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < callsPerRep; i++) await fn();
    samples.push((performance.now() - start) / callsPerRep);
  }
  return summarize(samples, callsPerRep);
}
