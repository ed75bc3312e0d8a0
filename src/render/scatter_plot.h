// The progress picture of 2-D data: generated points over the true modes.
#pragma once

#include <torch/torch.h>

#include "render/png_writer.h"
#include "datasets/dataset.h"

namespace gan::render {

// samples (n, 2) as dark dots, modes (k, 2) as red rings of radius 3 sigma (the high-quality
// zone of the evaluation), on white; the view is the square [-extent, extent]^2, `size` pixels.
Image8 makeScatterPlot(const torch::Tensor& samples, const torch::Tensor& modes, double sigma, double extent,
                       int size = 400);
// The same over a mixture's modes, with a margin of 1 around the outermost.
Image8 makeScatterPlot(const torch::Tensor& samples, const datasets::MixtureModes& modes);

}  // namespace gan::render
