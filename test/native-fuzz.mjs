// hostile calls to every function the addon exports, run in a child process by native-fuzz.test.ts
// (and longer under AddressSanitizer by scripts/test-sanitize.sh), so a crash fails a test instead of
// killing the runner.
//   node test/native-fuzz.mjs fuzz ADDON SEED CALLS   directed attacks, then CALLS seeded random malformed calls
//   node test/native-fuzz.mjs race ADDON SEED MET     a worker rewrites gatherRows' shared indices during calls,
//                                                     until MET rewrites met a call (at most 10 s)
// prints one JSON line of counts; exits 1 with the failing call described when a call throws anything but a
// TypeError/RangeError, writes outside its output, or gathers a row that is not a source row
// (plain JavaScript: the child runs without a TypeScript loader; the seeded generator is the library's own)

import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Random } from '../dist/random.js';

const [mode, addonPath, seedArg, amountArg] = process.argv.slice(2);
const addon = createRequire(import.meta.url)(path.resolve(addonPath));
const seed = Number(seedArg);
const amount = Number(amountArg);
const rng = new Random(seed);
const pick = (list) => list[rng.randint(list.length)];

function fail(message) {
  console.error(`native fuzz (seed ${seed}): ${message}`);
  process.exit(1);
}

// ---- arrays with guard bytes: every array lives inside a larger buffer whose bytes around it are random,
// so a write outside the array shows as a changed guard byte

const GUARD = 64;
const guarded = [];

function makeArray(Type, length, { shared = false } = {}) {
  const bytes = length * Type.BYTES_PER_ELEMENT + 2 * GUARD;
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const all = new Uint8Array(buffer);
  for (let i = 0; i < all.length; i++) all[i] = rng.randint(256);
  const view = new Type(buffer, GUARD, length);
  // small values, so a Uint8Array or Int32Array is a plausible pixel row or index list
  for (let i = 0; i < length; i++) view[i] = Type === Int32Array || Type === Uint8Array ? rng.randint(4) : rng.random() * 4 - 2;
  guarded.push({ all, before: all.slice(0, GUARD), after: all.slice(GUARD + length * Type.BYTES_PER_ELEMENT), end: GUARD + length * Type.BYTES_PER_ELEMENT });
  return view;
}

// a guard byte may change only where an argument of the call (an alias reaching into the guard) covers it
function checkGuards(label, args) {
  for (const g of guarded) {
    const covered = (i) => args.some((a) => ArrayBuffer.isView(a) && a.buffer === g.all.buffer && i >= a.byteOffset && i < a.byteOffset + a.byteLength);
    for (let i = 0; i < GUARD; i++) {
      if (g.all[i] !== g.before[i] && !covered(i)) fail(`${label} wrote outside its arrays (byte ${i})`);
      if (g.all[g.end + i] !== g.after[i] && !covered(g.end + i)) fail(`${label} wrote outside its arrays (byte ${g.end + i})`);
    }
  }
  guarded.length = 0;
}

// a view whose buffer is gone: detached by a transfer, or a resizable buffer shrunk beneath it
function deadView(Type, length) {
  const view = new Type(length);
  if (rng.randint(2) === 0) {
    structuredClone(view.buffer, { transfer: [view.buffer] });
    return view;
  }
  const buffer = new ArrayBuffer(length * Type.BYTES_PER_ELEMENT + 8, { maxByteLength: length * Type.BYTES_PER_ELEMENT + 64 });
  const shrunk = new Type(buffer, 8, length);
  buffer.resize(0);
  return shrunk;
}

// ---- values: the kinds a careless or hostile caller passes

const NUMBERS = [0, 1, 2, 3, 4, 6, -1, -0, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 2, 2 ** 53, -(2 ** 31), 1e308, Number.MIN_VALUE];
const OTHERS = [undefined, null, true, false, 'x', '2', {}, [], [1, 2], () => 0, 1n, Symbol('s'), new ArrayBuffer(8), new DataView(new ArrayBuffer(8))];
const TYPES = [Float32Array, Float64Array, Int32Array, Uint8Array, Uint32Array, Int8Array, Float32Array, Float64Array];

function randomArray() {
  const Type = pick(TYPES);
  const length = pick([0, 1, 2, 3, 4, 6, 8, 9, 12, 16]);
  return rng.randint(8) === 0 ? deadView(Type, length) : makeArray(Type, length, { shared: rng.randint(3) === 0 });
}

function randomValue(args) {
  const r = rng.randint(10);
  if (r < 4) return pick(NUMBERS);
  if (r < 7) return randomArray();
  // an alias of an array already in the call: itself, or a view of other bytes of its buffer
  const arrays = args.filter((a) => ArrayBuffer.isView(a) && a.byteLength > 0 && !(a instanceof DataView));
  if (r < 9 && arrays.length > 0) return alias(pick(arrays));
  return pick(OTHERS);
}

function alias(a) {
  const Type = pick([a.constructor, Float32Array, Float64Array, Int32Array, Uint8Array]);
  const start = rng.randint(a.byteOffset + a.byteLength) & ~7;
  const room = Math.floor((a.buffer.byteLength - start) / Type.BYTES_PER_ELEMENT);
  return new Type(a.buffer, start, rng.randint(room + 1));
}

// ---- well-formed calls of the known functions, which the random mutations then break

const dim = () => rng.randint(5);
const floatType = () => (rng.randint(2) === 0 ? Float32Array : Float64Array);
const VALID = {
  gemm() {
    const T = floatType();
    const [m, n, k, tA, tB] = [dim(), dim(), dim(), rng.randint(2) === 1, rng.randint(2) === 1];
    const [aR, aC] = tA ? [k, m] : [m, k];
    const [bR, bC] = tB ? [n, k] : [k, n];
    return [makeArray(T, aR * aC), aR, aC, tA, makeArray(T, bR * bC), bR, bC, tB, makeArray(T, m * n), rng.random(), pick([0, 1, 0.5])];
  },
  addBias() {
    const T = floatType();
    const [r, c] = [dim(), dim()];
    return [makeArray(T, r * c), r, c, makeArray(T, c), makeArray(T, r * c)];
  },
  colSum() {
    const T = floatType();
    const [r, c] = [dim(), dim()];
    return [makeArray(T, r * c), r, c, makeArray(T, c)];
  },
  gatherRows() {
    const [count, cols, rows] = [dim() + 1, dim() + 1, dim()];
    const indices = makeArray(Int32Array, rows, { shared: rng.randint(2) === 0 });
    for (let i = 0; i < rows; i++) indices[i] = rng.randint(count);
    return [makeArray(Uint8Array, count * cols), cols, indices, pick([255, 1, 3.3, -2]), makeArray(floatType(), rows * cols)];
  },
  axpy() {
    const T = floatType();
    const n = dim();
    return [rng.random(), makeArray(T, n), makeArray(T, n)];
  },
  sgdStep() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n), rng.random(), pick([0, 0.01])];
  },
  momentumStep() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n), makeArray(T, n), rng.random(), rng.random(), pick([0, 0.01]), rng.randint(2) === 1];
  },
  adaptiveStep() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n), makeArray(T, n), rng.random(), pick([1, 0.99]), pick([1, 0.01]), 1e-8, pick([0, 0.01])];
  },
  adamStep() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n), makeArray(T, n), makeArray(T, n), rng.random(), 0.9, 0.999, 0.03, 1e-8, pick([0, 0.01])];
  },
  relu() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n)];
  },
  reluBackward() {
    const T = floatType();
    const n = dim();
    return [makeArray(T, n), makeArray(T, n), makeArray(T, n)];
  },
  softmax() {
    const T = floatType();
    const [r, c] = [dim(), dim()];
    return [makeArray(T, r * c), r, c, makeArray(T, r * c)];
  },
  convReluPool() {
    return convReluPoolCall().forward;
  },
  convReluPoolBackward() {
    return convReluPoolCall().backward;
  },
  hugePageAdvise: () => [makeArray(Uint8Array, pick([0, 1, 4096]))],
  setNumThreads: () => [pick([1, 2])],
};

// a small conv → relu → pool: the forward's arguments, and the backward's with the argmax a real
// forward wrote (so a mutation breaks one thing at a time); pooling 2×2/2 over an even output (the
// op's window-order path) or 1×1
function convReluPoolCall() {
  const T = floatType();
  const [n, c, f, kh, kw, stride, pad] = [dim(), 1 + rng.randint(2), 1 + rng.randint(3), 1 + rng.randint(3), 1 + rng.randint(3), 1 + rng.randint(2), rng.randint(2)];
  const [oh, ow] = [pick([2, 4]), pick([2, 4])];
  const [h, w] = [Math.max(1, (oh - 1) * stride + kh - 2 * pad), Math.max(1, (ow - 1) * stride + kw - 2 * pad)];
  const p = rng.randint(2) === 0 ? 2 : 1;
  const pooled = n * f * (oh / p) * (ow / p);
  const geometry = [n, c, h, w, kh, kw, stride, pad, p, p, p];
  const [X, W, b] = [makeArray(T, n * c * h * w), makeArray(T, f * c * kh * kw), makeArray(T, f)];
  const out = makeArray(T, pooled), argmax = makeArray(Int32Array, pooled);
  // a geometry whose output side is not whole is refused; the fuzz calls it anyway
  try {
    addon.convReluPool(X, ...geometry, W, b, out, argmax);
  } catch {}
  const dx = rng.randint(2) === 0 ? null : makeArray(T, n * c * h * w);
  return {
    forward: [X, ...geometry, W, b, makeArray(T, pooled), makeArray(Int32Array, pooled)],
    backward: [X, ...geometry, W, out, makeArray(T, pooled), argmax, makeArray(T, f * c * kh * kw), makeArray(T, f), dx],
  };
}

function randomArgs() {
  const args = [];
  for (let i = rng.randint(12); i > 0; i--) args.push(randomValue(args));
  return args;
}

function mutate(args) {
  const out = [...args];
  const changes = 1 + rng.randint(3);
  for (let c = 0; c < changes; c++) {
    const what = rng.randint(6);
    if (what === 0 && out.length > 0) out.length = rng.randint(out.length);
    else if (what === 1) out.push(randomValue(out));
    else if (out.length > 0) {
      const i = rng.randint(out.length);
      const v = out[i];
      // a dimension off by a little, or a value of any kind
      out[i] = typeof v === 'number' && rng.randint(2) === 0 ? v + pick([-1, 1, 0.5, 2 ** 31, -(2 ** 32)]) : randomValue(out);
    }
  }
  return out;
}

let calls = 0;
const outcomes = { ok: 0, TypeError: 0, RangeError: 0 };

function call(name, args, label) {
  calls++;
  try {
    addon[name](...args);
    outcomes.ok++;
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) fail(`${label}: ${name} threw ${e?.constructor?.name}: ${e?.message}`);
    outcomes[e.constructor.name]++;
  }
  checkGuards(label, args);
}

// the attacks found by hand, first: each crashed or corrupted memory in some version
function directed() {
  // indices inside out's buffer: writing row 0 overwrote the indices still to be read (issue 10, 1a)
  for (const T of [Float32Array, Float64Array]) {
    const out = makeArray(T, 8);
    const indices = new Int32Array(out.buffer, out.byteOffset + T.BYTES_PER_ELEMENT * 2, 4);
    indices.fill(0);
    call('gatherRows', [makeArray(Uint8Array, 4 * 2), 4, indices.subarray(0, 2), 1, out], 'indices inside out');
    const big = new ArrayBuffer(4096);
    const whole = new T(big, 0, 256 * 2);
    call('gatherRows', [new Uint8Array(256 * 2).fill(255), 256, new Int32Array(big, 8, 2), 1 / 255, whole.subarray(0, 512)], 'indices inside out, large rows');
    // out overlapping src (1c)
    const shared = new ArrayBuffer(128);
    call('gatherRows', [new Uint8Array(shared, 0, 16), 4, Int32Array.from([1, 0]), 1, new T(shared, 8, 8)], 'out overlapping src');
  }
  // two SharedArrayBuffer objects over the same memory: an output aliasing an input through a second object
  const sab = new SharedArrayBuffer(64);
  const twin = structuredClone(sab);
  call('gemm', [new Float64Array(sab, 0, 4), 2, 2, false, Float64Array.of(1, 0, 0, 1), 2, 2, false, new Float64Array(twin, 8, 4), 1, 0], 'C aliasing A through a cloned SharedArrayBuffer');
  // detached and shrunk views in every array position of a valid call
  for (const [name, make] of Object.entries(VALID)) {
    const args = make();
    args.forEach((a, i) => {
      if (!ArrayBuffer.isView(a)) return;
      const broken = [...args];
      broken[i] = deadView(a.constructor, a.length);
      call(name, broken, `${name} with argument ${i} detached`);
    });
  }
}

function fuzz() {
  directed();
  const names = Object.keys(addon).filter((k) => typeof addon[k] === 'function');
  for (let c = 0; c < amount; c++) {
    const name = pick(names);
    // known functions: a valid call, mutated or not; others (ops added later): random arguments
    const args = VALID[name] && rng.randint(4) !== 0 ? VALID[name]() : randomArgs();
    const broken = rng.randint(5) === 0 ? args : mutate(args);
    call(name, broken, `call ${c} (${name})`);
  }
  console.log(JSON.stringify({ mode, seed, functions: names.length, calls, ...outcomes }));
}

// ---- the check-then-use race: a worker watches the output of a gather under way (it sits on a
// SharedArrayBuffer too) and, once the middle row has arrived, overwrites the indices with wild values;
// a gather that reads an index a second time meets a wild one. One call in four the worker overwrites
// them before the call reads them, which must be refused

async function race() {
  const [count, cols, rows] = [200, 784, 512];
  const mid = (rows / 2) * cols;
  // row i is all i, so every gathered row must be some whole source row
  const src = new Uint8Array(count * cols);
  for (let i = 0; i < count; i++) src.fill(i, i * cols, (i + 1) * cols);
  const indices = new Int32Array(new SharedArrayBuffer(rows * 4));
  for (let i = 0; i < rows; i++) indices[i] = i % count;
  const out = new Float32Array(new SharedArrayBuffer(rows * cols * 4));
  // [phase, stop, met]: phase 0 idle, 1 a call is about to start, 3 the worker is ready for it, 2 it
  // returned; stop ends the worker; met counts the rewrites that landed halfway through a gather
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(`
    const { workerData: { indices, out, ctl, seed } } = require('node:worker_threads');
    for (let call = seed; Atomics.load(ctl, 1) === 0; ) {
      if (Atomics.load(ctl, 0) !== 1) continue;
      Atomics.store(ctl, 0, 3);
      const early = call++ % 4 === 0;
      if (!early) while (out[${mid}] === -1 && Atomics.load(ctl, 0) === 3);
      for (let i = 0; i < indices.length; i++) indices[i] = 0x7fffffff - i;
      if (!early && Atomics.load(ctl, 0) === 3) Atomics.add(ctl, 2, 1);
      while (Atomics.load(ctl, 0) !== 2);
      for (let i = 0; i < indices.length; i++) indices[i] = (call + i) % ${count};
      Atomics.store(ctl, 0, 0);
      Atomics.notify(ctl, 0);
    }`, { eval: true, workerData: { indices, out, ctl, seed } });
  await new Promise((resolve) => worker.once('online', resolve));
  // on a loaded machine the two threads meet seldom: run until enough rewrites met a call, or 10 s
  const end = Date.now() + 10_000;
  while (Atomics.load(ctl, 2) < amount && Date.now() < end) {
    calls++;
    // the call starts only once the worker is running, so the two threads really meet
    out[mid] = -1;
    Atomics.store(ctl, 0, 1);
    while (Atomics.load(ctl, 0) !== 3);
    let ok = true;
    try {
      addon.gatherRows(src, cols, indices, 1, out);
    } catch (e) {
      if (!(e instanceof RangeError)) fail(`race: gatherRows threw ${e?.constructor?.name}: ${e?.message}`);
      ok = false;
    }
    Atomics.store(ctl, 0, 2);
    Atomics.wait(ctl, 0, 2);
    if (!ok) {
      outcomes.RangeError++;
      continue;
    }
    outcomes.ok++;
    for (let r = 0; r < rows; r++) {
      const v = out[r * cols];
      if (!(v >= 0 && v < count) || out[r * cols + cols - 1] !== v) fail(`race: row ${r} is not a whole source row`);
    }
  }
  Atomics.store(ctl, 1, 1);
  await worker.terminate();
  console.log(JSON.stringify({ mode, seed, calls, met: Atomics.load(ctl, 2), ...outcomes }));
}

if (mode === 'fuzz') fuzz();
else if (mode === 'race') await race();
else fail(`unknown mode ${mode}`);
