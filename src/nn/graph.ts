// the book's computational-graph nodes on plain numbers: a multiply and an add, each with its local derivative

function assertNumber(where: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${typeof v}`);
}

export class MulLayer {
  // both inputs are kept: each one is the other's derivative
  x = 0;
  y = 0;

  forward(x: number, y: number): number {
    assertNumber('MulLayer.forward', 'x', x);
    assertNumber('MulLayer.forward', 'y', y);
    this.x = x;
    this.y = y;
    return x * y;
  }

  // d(xy)/dx = y and d(xy)/dy = x: the inputs swap
  backward(dout: number): [dx: number, dy: number] {
    assertNumber('MulLayer.backward', 'dout', dout);
    return [dout * this.y, dout * this.x];
  }
}

export class AddLayer {
  forward(x: number, y: number): number {
    assertNumber('AddLayer.forward', 'x', x);
    assertNumber('AddLayer.forward', 'y', y);
    return x + y;
  }

  // d(x+y)/dx = d(x+y)/dy = 1: the gradient passes through unchanged to both
  backward(dout: number): [dx: number, dy: number] {
    assertNumber('AddLayer.backward', 'dout', dout);
    return [dout, dout];
  }
}
