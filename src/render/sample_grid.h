// Turns generated images into one image grid (the training-time progress picture).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "render/png_writer.h"

namespace gan::render {

// samples: (n, C*H*W) in [-1, 1] (any device), channel-major; shape {C, H, W} with C 1 (gray),
// 3 (RGB) or 4 (RGBA: drawn over a checkerboard of 8-pixel squares, so transparency shows and the
// grid is RGB); n must be rows*cols. 2-pixel dark gutters.
Image8 makeSampleGrid(const torch::Tensor& samples, const std::vector<int64_t>& shape, int64_t rows, int64_t cols);
// Gray images of height x width.
Image8 makeSampleGrid(const torch::Tensor& samples, int64_t height, int64_t width, int64_t rows, int64_t cols);

}  // namespace gan::render
