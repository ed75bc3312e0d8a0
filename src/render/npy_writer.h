// Writes arrays as NumPy .npy files (format 1.0), for analysis outside gan_dist.
#pragma once

#include <torch/torch.h>

#include <string>

namespace gan::render {

// `values` as float32 in C order, with its shape; written atomically (temporary file + rename).
void writeNpy(const std::string& path, const torch::Tensor& values);

}  // namespace gan::render
