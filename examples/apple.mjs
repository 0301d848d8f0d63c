// the book's first backpropagation example (5.4.1): two apples at 100 each, 10% tax
// run it (npm install has built dist/): node examples/apple.mjs

import { MulLayer } from '../dist/index.js';

const apple = 100;
const appleNum = 2;
const tax = 1.1;

// one node per multiplication
const mulAppleLayer = new MulLayer();
const mulTaxLayer = new MulLayer();

// forward: the price
const applePrice = mulAppleLayer.forward(apple, appleNum);
const price = mulTaxLayer.forward(applePrice, tax);
console.log('price:', price); // 220.00000000000003

// backward: how the price moves with each input
const dprice = 1;
const [dapplePrice, dtax] = mulTaxLayer.backward(dprice);
const [dapple, dappleNum] = mulAppleLayer.backward(dapplePrice);
console.log('dApple:', dapple); // 2.2
console.log('dAppleNum:', dappleNum); // 110.00000000000001
console.log('dTax:', dtax); // 200
