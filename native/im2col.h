// im2col and col2im on a batch of n samples (g.n), shared by the ops that unfold images (im2col.cc,
// conv_relu_pool.cc); instantiated for float and double in im2col.cc
#pragma once

#include "window.h"

namespace blasprop {

// col ((C·KH·KW) × (n·OH·OW)) = every patch of x's n samples as a column
template <typename T>
void Im2colImpl(const T* x, const Window& g, T* col);

// dx (n × C·H·W) = zero, then every column added back onto the pixels it came from
template <typename T>
void Col2imImpl(const T* col, const Window& g, T* dx);

}  // namespace blasprop
