// serve predictions while a worker trains: POST /predict answers from the latest weights; the worker
// publishes new weights at every epoch's end. the main thread does no training step, so a request
// never waits behind one; and the worker runs at the lowest priority (linux), so when the cores are
// all busy the kernel gives one to the server first.
//   node examples/serve-while-training.mjs [--port 8080] [--iterations 6000] [--train-count 60000]
//                                          [--exit-after-training] [--save FILE]
//   curl -s -X POST 127.0.0.1:8080/predict -d '{"images":[[0, 0, …784 pixels in 0..1…]]}'
//   → {"epoch":3,"digits":[7],"probabilities":[[…10…]]}
//   GET /status → {"epoch":3,"iteration":1800,"testAccuracy":0.93,"training":true}

import { createServer } from 'node:http';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { loadMnist, Matrix, saveModel, softmax, trainInWorker, TwoLayerNet } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    iterations: { type: 'string', default: '6000' },
    'train-count': { type: 'string' },
    'exit-after-training': { type: 'boolean', default: false },
    save: { type: 'string' },
  },
});

const mnist = loadMnist({ dtype: 'float32' });
// the first N training images only (shorter epochs, for a quick demonstration)
if (values['train-count'] !== undefined) {
  const n = Number(values['train-count']);
  const t = mnist.train;
  mnist.train = { ...t, count: n, images: t.images.subarray(0, n * 784), labels: t.labels.subarray(0, n) };
}
const start = new TwoLayerNet(784, 50, 10, { dtype: 'float32', seed: 1 });

// the weights in service, with the epoch they come from. publishing is one assignment of a new object
// and a request reads `live` once, then predicts synchronously: a request sees one epoch's weights,
// never a mix, and the weights it uses are never written again (each epoch arrives as a new network)
let live = { net: start, epoch: 0 };
const status = { epoch: 0, iteration: 0, testAccuracy: null, training: true };

const run = trainInWorker(start, mnist, {
  iterations: Number(values.iterations),
  seed: 2,
  priority: constants.priority.PRIORITY_LOW,
  onWeights: (net, info) => {
    live = { net, epoch: info.epoch };
  },
  onEpochEnd: (info) => {
    Object.assign(status, { epoch: info.epoch, iteration: info.iteration, testAccuracy: info.testAccuracy });
  },
});

// rows of 784 pixels in [0, 1] → predicted digits and their probabilities
function predict(images) {
  const { net, epoch } = live;
  if (!Array.isArray(images) || images.length === 0 || images.length > 1000) throw new RangeError('images must be an array of 1 to 1000 images');
  const x = new Matrix(images.length, 784, new Float32Array(images.length * 784));
  images.forEach((img, i) => {
    if (!Array.isArray(img) || img.length !== 784) throw new RangeError(`images[${i}] must have 784 pixels`);
    x.data.set(img, i * 784);
  });
  const p = softmax(net.predict(x));
  const probabilities = [];
  const digits = [];
  for (let i = 0; i < p.rows; i++) {
    const row = Array.from(p.data.subarray(i * 10, i * 10 + 10));
    probabilities.push(row);
    digits.push(row.indexOf(Math.max(...row)));
  }
  return { epoch, digits, probabilities };
}

function reply(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/status') return reply(res, 200, status);
  if (req.method !== 'POST' || req.url !== '/predict') return reply(res, 404, { error: 'POST /predict or GET /status' });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    // 1000 images of 784 numbers fit in well under 16 MB of JSON
    if (size > 16 << 20) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    try {
      reply(res, 200, predict(JSON.parse(Buffer.concat(chunks).toString('utf8')).images));
    } catch (e) {
      reply(res, 400, { error: e.message });
    }
  });
});

// loopback only: this is a demonstration, not a public service
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});

const { net, history } = await run.result;
live = { net, epoch: history.lastEpoch?.epoch ?? live.epoch };
status.training = false;
if (values.save) await saveModel(values.save, net);
console.log(`training finished: epoch ${live.epoch}, test accuracy ${history.summary().testAccuracy?.toFixed(4)}`);
// serve the final weights a second longer, then stop (for scripts and tests)
if (values['exit-after-training']) setTimeout(() => server.close(), 1000);
