// the book's computational-graph examples (chapter 5.4): buying apples, then apples and oranges

import { describe, expect, it } from 'vitest';
import { AddLayer, MulLayer } from '../src/nn/graph.js';

describe('MulLayer and AddLayer', () => {
  it('buys apples: price 220; dapple 2.2, dapple_num 110, dtax 200', () => {
    const apple = 100, appleNum = 2, tax = 1.1;
    const mulApple = new MulLayer();
    const mulTax = new MulLayer();
    const applePrice = mulApple.forward(apple, appleNum);
    const price = mulTax.forward(applePrice, tax);
    expect(price).toBeCloseTo(220, 10);

    const [dApplePrice, dTax] = mulTax.backward(1);
    const [dApple, dAppleNum] = mulApple.backward(dApplePrice);
    expect(dApple).toBeCloseTo(2.2, 10);
    expect(dAppleNum).toBeCloseTo(110, 10);
    expect(dTax).toBeCloseTo(200, 10);
  });

  it('buys apples and oranges: price 715; 110, 2.2, 3.3, 165, 650', () => {
    const apple = 100, appleNum = 2, orange = 150, orangeNum = 3, tax = 1.1;
    const mulApple = new MulLayer();
    const mulOrange = new MulLayer();
    const addFruit = new AddLayer();
    const mulTax = new MulLayer();
    const applePrice = mulApple.forward(apple, appleNum);
    const orangePrice = mulOrange.forward(orange, orangeNum);
    const allPrice = addFruit.forward(applePrice, orangePrice);
    const price = mulTax.forward(allPrice, tax);
    expect(price).toBeCloseTo(715, 10);

    const [dAllPrice, dTax] = mulTax.backward(1);
    const [dApplePrice, dOrangePrice] = addFruit.backward(dAllPrice);
    const [dOrange, dOrangeNum] = mulOrange.backward(dOrangePrice);
    const [dApple, dAppleNum] = mulApple.backward(dApplePrice);
    expect(dAppleNum).toBeCloseTo(110, 10);
    expect(dApple).toBeCloseTo(2.2, 10);
    expect(dOrange).toBeCloseTo(3.3, 10);
    expect(dOrangeNum).toBeCloseTo(165, 10);
    expect(dTax).toBeCloseTo(650, 10);
  });

  it('MulLayer swaps its inputs backward; AddLayer passes dout to both', () => {
    const mul = new MulLayer();
    expect(mul.forward(3, -4)).toBe(-12);
    expect(mul.backward(2)).toEqual([-8, 6]);
    const add = new AddLayer();
    expect(add.forward(3, -4)).toBe(-1);
    expect(add.backward(2.5)).toEqual([2.5, 2.5]);
  });

  it('rejects a non-number input', () => {
    expect(() => new MulLayer().forward('100' as unknown as number, 2)).toThrow(TypeError);
    expect(() => new AddLayer().backward(undefined as unknown as number)).toThrow(/dout must be a number/);
  });
});
