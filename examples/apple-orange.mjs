// the book's second example (5.5.3): two apples at 100, three oranges at 150, 10% tax
// run after `npm install` (which builds dist/): node examples/apple-orange.mjs

import { AddLayer, MulLayer } from '../dist/index.js';

const apple = 100;
const appleNum = 2;
const orange = 150;
const orangeNum = 3;
const tax = 1.1;

// the graph: two products, their sum, then the tax
const mulAppleLayer = new MulLayer();
const mulOrangeLayer = new MulLayer();
const addAppleOrangeLayer = new AddLayer();
const mulTaxLayer = new MulLayer();

// forward
const applePrice = mulAppleLayer.forward(apple, appleNum);
const orangePrice = mulOrangeLayer.forward(orange, orangeNum);
const allPrice = addAppleOrangeLayer.forward(applePrice, orangePrice);
const price = mulTaxLayer.forward(allPrice, tax);

// backward, in reverse order of the forward
const dprice = 1;
const [dallPrice, dtax] = mulTaxLayer.backward(dprice);
const [dapplePrice, dorangePrice] = addAppleOrangeLayer.backward(dallPrice);
const [dorange, dorangeNum] = mulOrangeLayer.backward(dorangePrice);
const [dapple, dappleNum] = mulAppleLayer.backward(dapplePrice);

console.log('price:', price); // 715.0000000000001
console.log('dApple:', dapple); // 2.2
console.log('dAppleNum:', dappleNum); // 110.00000000000001
console.log('dOrange:', dorange); // 3.3000000000000003
console.log('dOrangeNum:', dorangeNum); // 165
console.log('dTax:', dtax); // 650
