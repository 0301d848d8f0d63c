// the max-pool rule both pooling ops share (max_pool.cc, conv_relu_pool.cc): padding never wins, the
// first maximum wins ties, a NaN wins and stays
#pragma once

namespace blasprop {

// v replaces the running max when larger, or when it is NaN and the max is not. & rather than &&, so
// no branch is taken on the data (which value wins is a coin toss on real activations)
template <typename T>
inline bool Wins(T v, T max) {
  return !(v <= max) & (max == max);
}

}  // namespace blasprop
