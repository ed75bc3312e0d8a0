// Turns generated samples into one image grid (the training-time progress picture).
#pragma once

#include <torch/torch.h>

#include "coordinator/png_writer.h"

namespace gan::coordinator {

// samples: (n, H*W) in [-1, 1] (any device); n must be rows*cols. 2-pixel dark gutters.
Image8 makeSampleGrid(const torch::Tensor& samples, int64_t height, int64_t width, int64_t rows, int64_t cols);

}  // namespace gan::coordinator
