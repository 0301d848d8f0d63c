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
  const probe = Math.max(performance.now() - probeStart, 1e-4);
  const callsPerRep = Math.max(1, Math.ceil(minRepMs / probe));
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < callsPerRep; i++) fn();
    samples.push((performance.now() - start) / callsPerRep);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1]!, min: samples[0]!, max: samples[samples.length - 1]!, reps, callsPerRep };
}
