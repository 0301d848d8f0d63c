// the whole path: train with blasprop, export ONNX, serve the file with ONNX Runtime
// run it (npm install has built dist/): node examples/onnx.mjs
// onnxruntime-web (WebAssembly) is a devDependency here; in a server, onnxruntime-node reads the same file

import { rmSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { fit, loadMnist, mlp, saveOnnx, toMatrix } from '../dist/index.js';

// 1. train (briefly: 600 Adam steps of a 784-64-10 net)
const mnist = loadMnist();
const net = mlp({ sizes: [784, 64, 10], init: 'he', dtype: 'float32', seed: 1 });
await fit(net, mnist, { iterations: 600, optimizer: 'adam', learningRate: 0.002, seed: 2, evaluate: false });

// 2. export: input 'input' [batch, 784], output 'probabilities' [batch, 10]
const file = `${process.env.TMPDIR ?? '/tmp'}/blasprop-example-${process.pid}.onnx`;
await saveOnnx(file, net);

// 3. load in ONNX Runtime and predict the first 5 test images
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(file);
const x = toMatrix(mnist.test, { dtype: 'float32', end: 5 });
const { probabilities } = await session.run({ input: new ort.Tensor('float32', x.data, [5, 784]) });
for (let i = 0; i < 5; i++) {
  const p = Array.from(probabilities.data.subarray(i * 10, i * 10 + 10));
  const predicted = p.indexOf(Math.max(...p));
  console.log(`image ${i}: ${predicted} (p ${p[predicted].toFixed(3)}, label ${mnist.test.labels[i]})`);
}
await session.release();
rmSync(file);
