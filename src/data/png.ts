// a PNG as a network input: grayscale, resized to the model's image size, light-on-dark like MNIST, in [0, 1]
//
// steps: decode (pngjs gives 8-bit RGBA for every colour type and bit depth), flatten alpha onto white
// (a digit drawn on a transparent sheet then looks like one drawn on paper), luma by Rec. 601
// (0.299 R + 0.587 G + 0.114 B), area-average to the target size, then invert when the picture is dark
// ink on a light background (mean above one half), since MNIST digits are white on black.

import { SourceError } from '../errors.js';
import { PNG } from 'pngjs';

// a side longer than this is not a digit to classify, and decoding it could take gigabytes
export const MAX_PNG_SIDE = 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type InvertMode = 'auto' | 'yes' | 'no';

// intensities in [0, 1], row-major, 1 = white
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float64Array;
}

export interface PngInput {
  // the network's input row: light ink on dark, in [0, 1]
  pixels: Float64Array;
  width: number;
  height: number;
  // the file's own size
  sourceWidth: number;
  sourceHeight: number;
  inverted: boolean;
}

export class PngError extends SourceError {}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

// the size from the IHDR chunk, read before decoding so a huge image is refused cheaply
function headerSize(bytes: Uint8Array, source: string): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new PngError(source, 'not a valid PNG (no IHDR chunk after the signature)');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export function decodePngGray(bytes: Uint8Array, source = '<buffer>'): GrayImage {
  if (!isPng(bytes)) throw new PngError(source, 'not a PNG file (wrong signature)');
  const { width, height } = headerSize(bytes, source);
  if (width < 1 || height < 1 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    throw new PngError(source, `image is ${width}×${height}; sides from 1 to ${MAX_PNG_SIDE} pixels are accepted`);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new PngError(source, `not a valid PNG (${(e as Error).message})`);
  }
  const n = png.width * png.height;
  const rgba = png.data;
  const pixels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    const luma = (0.299 * rgba[o]! + 0.587 * rgba[o + 1]! + 0.114 * rgba[o + 2]!) / 255;
    const alpha = rgba[o + 3]! / 255;
    // over a white background
    pixels[i] = Math.min(1, alpha * luma + (1 - alpha));
  }
  return { width: png.width, height: png.height, pixels };
}

// area averaging: each target pixel is the mean of the source area it covers (partly covered source
// pixels count by the part covered); shrinking averages blocks, enlarging blends neighbours at edges
export function resizeArea(img: GrayImage, width: number, height: number): GrayImage {
  if (img.width === width && img.height === height) return { width, height, pixels: img.pixels.slice() };
  const sx = img.width / width;
  const sy = img.height / height;
  const out = new Float64Array(width * height);
  for (let ty = 0; ty < height; ty++) {
    const y0 = ty * sy;
    const y1 = y0 + sy;
    for (let tx = 0; tx < width; tx++) {
      const x0 = tx * sx;
      const x1 = x0 + sx;
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.min(img.height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(img.width, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += wx * wy * img.pixels[y * img.width + x]!;
        }
      }
      out[ty * width + tx] = sum / (sx * sy);
    }
  }
  return { width, height, pixels: out };
}

// a PNG file's bytes as one input row of width×height pixels
export function pngToInput(bytes: Uint8Array, source: string, options: { width: number; height: number; invert?: InvertMode }): PngInput {
  const { width, height, invert = 'auto' } = options;
  const img = decodePngGray(bytes, source);
  const resized = resizeArea(img, width, height);
  const p = resized.pixels;
  let mean = 0;
  for (let i = 0; i < p.length; i++) mean += p[i]!;
  mean /= p.length;
  // dark ink on light paper is the opposite of MNIST's white digits on black
  const inverted = invert === 'yes' || (invert === 'auto' && mean > 0.5);
  for (let i = 0; i < p.length; i++) p[i] = Math.min(1, Math.max(0, inverted ? 1 - p[i]! : p[i]!));
  return { pixels: p, width, height, sourceWidth: img.width, sourceHeight: img.height, inverted };
}
