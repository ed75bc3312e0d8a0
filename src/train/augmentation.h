// The image augmentations of adaptive discriminator augmentation (ADA, Karras et al. 2020): every
// image D sees, real or generated, passes through them, each transform applied to a row with
// probability p. They are differentiable in the image, so G's gradient reaches G through them.
//
// Geometric transforms (horizontal flip, quarter turns, integer translation with reflection at
// the border) only move pixels: each row's composite is one gathered index map, exact to the bit.
// Colour transforms (brightness, contrast, saturation for colour images) are arithmetic on the
// values; cutout multiplies by a 0/1 mask. A row a transform skips is left bitwise unchanged by it.
//
// The random choices are a function of (seed, stream, batch number, global row), like the
// latent noise, so they do not depend on how the global batch is split across ranks.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gan::train {

// Channels, height and width of the images a batch holds as rows of C*H*W values in [-1, 1].
struct ImageGeometry {
  int64_t channels = 1, height = 1, width = 1;
};

// Which transforms may apply: bit i for the i-th name of common/config.h's kAugmentationNames
// (flip, rot90, translate, brightness, contrast, saturation, cutout).
using AugmentationSet = uint32_t;
inline constexpr AugmentationSet kAllAugmentations = (1u << 7) - 1;

// Each image D is shown draws from its own stream, so real and generated rows, D and G steps,
// never share a draw.
enum class AugmentationStream : uint64_t { RealInDStep = 1, FakeInDStep = 2, FakeInGStep = 3 };

// Per-row parameters of one augmented batch (CPU tensors of `rows` entries). Identity values
// (0 turns, no flip, shift 0, +0, x1, no cutout) for the transforms a row skips.
struct AugmentationDraw {
  torch::Tensor flip;                // int64, 1: mirror left-right
  torch::Tensor quarter_turns;       // int64 0..3, counter-clockwise (square images only)
  torch::Tensor shift_y, shift_x;    // int64 pixels, up to 1/8 of the side each way
  torch::Tensor brightness;          // float32 added
  torch::Tensor contrast;            // float32 factor about 0, the middle of the value range
  torch::Tensor saturate;            // bool: saturation factor applies (colour images)
  torch::Tensor saturation;          // float32 factor of the distance from the pixel's grey
  torch::Tensor cutout;              // bool: a square of half the side is set to 0
  torch::Tensor cutout_y, cutout_x;  // float32 centre of the square, as fractions of the side
};

// The choices for rows [first_row, first_row + rows) of global batch `batch_number`: each
// transform of `transforms` is applied to a row with probability p (flip and quarter turn then
// pick uniformly among their outcomes, identity included, as in the paper). Rotations are drawn
// only for square images, saturation only for 3-channel ones.
AugmentationDraw drawAugmentation(uint64_t seed, AugmentationStream stream, int64_t batch_number, int64_t first_row,
                                  int64_t rows, double p, const ImageGeometry& geometry,
                                  AugmentationSet transforms = kAllAugmentations);

// `images` (rows, C*H*W) augmented as `draw` says, on the images' device and dtype.
torch::Tensor applyAugmentation(const torch::Tensor& images, const AugmentationDraw& draw,
                                const ImageGeometry& geometry);

}  // namespace gan::train
