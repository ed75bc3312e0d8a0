// Adaptive discriminator augmentation: each transform on known images (geometric ones exact to
// the bit against LibTorch's flip and rot90), the draws' probabilities and independence from the
// batch split, the gradient through the augmentation against finite differences, and the rule
// that moves p against a hand-computed sequence.
#include <gtest/gtest.h>

#include <cmath>

#include "train/ada_controller.h"
#include "train/augmentation.h"

namespace {
using namespace gan::train;

// `rows` rows that every transform leaves alone.
AugmentationDraw identityDraw(int64_t rows) {
  const auto zeros = [&](torch::Dtype dtype) { return torch::zeros({rows}, dtype); };
  AugmentationDraw draw;
  draw.flip = zeros(torch::kInt64);
  draw.quarter_turns = zeros(torch::kInt64);
  draw.shift_y = zeros(torch::kInt64);
  draw.shift_x = zeros(torch::kInt64);
  draw.brightness = zeros(torch::kFloat32);
  draw.contrast = torch::ones({rows}, torch::kFloat32);
  draw.saturate = zeros(torch::kBool);
  draw.saturation = torch::ones({rows}, torch::kFloat32);
  draw.cutout = zeros(torch::kBool);
  draw.cutout_y = zeros(torch::kFloat32);
  draw.cutout_x = zeros(torch::kFloat32);
  return draw;
}

// One image of distinct values in [-1, 1), as one row (1, C*H*W).
torch::Tensor distinctImage(const ImageGeometry& g) {
  const int64_t n = g.channels * g.height * g.width;
  return (torch::arange(n, torch::kFloat32) / float(n) * 2 - 1).view({1, n});
}

torch::Tensor asImage(const torch::Tensor& row, const ImageGeometry& g) {
  return row.view({g.channels, g.height, g.width});
}

const ImageGeometry kSquare{2, 5, 5};

TEST(Augmentation, FlipIsTorchFlipExactly) {
  auto draw = identityDraw(1);
  draw.flip.fill_(1);
  const auto image = distinctImage(kSquare);
  const auto out = applyAugmentation(image, draw, kSquare);
  EXPECT_TRUE(torch::equal(asImage(out, kSquare), torch::flip(asImage(image, kSquare), {2})));
}

TEST(Augmentation, QuarterTurnsAreTorchRot90Exactly) {
  const auto image = distinctImage(kSquare);
  for (int64_t k = 0; k < 4; ++k) {
    auto draw = identityDraw(1);
    draw.quarter_turns.fill_(k);
    const auto out = applyAugmentation(image, draw, kSquare);
    EXPECT_TRUE(torch::equal(asImage(out, kSquare), torch::rot90(asImage(image, kSquare), k, {1, 2}))) << k;
  }
}

TEST(Augmentation, TranslationReflectsAtTheBorder) {
  const ImageGeometry g{1, 4, 6};
  auto draw = identityDraw(1);
  draw.shift_y.fill_(-1);
  draw.shift_x.fill_(2);
  const auto image = distinctImage(g);
  const auto out = asImage(applyAugmentation(image, draw, g), g);
  const auto in = asImage(image, g);
  auto reflect = [](int64_t i, int64_t n) { return i < 0 ? -i : i > n - 1 ? 2 * (n - 1) - i : i; };
  for (int64_t y = 0; y < g.height; ++y) {
    for (int64_t x = 0; x < g.width; ++x) {
      EXPECT_EQ(out[0][y][x].item<float>(), in[0][reflect(y + 1, 4)][reflect(x - 2, 6)].item<float>()) << y << "," << x;
    }
  }
}

TEST(Augmentation, GeometricTransformsComposeFlipThenTurnThenShift) {
  auto draw = identityDraw(1);
  draw.flip.fill_(1);
  draw.quarter_turns.fill_(3);
  draw.shift_x.fill_(1);
  const auto image = distinctImage(kSquare);
  auto expected = torch::rot90(torch::flip(asImage(image, kSquare), {2}), 3, {1, 2});
  auto shift_only = identityDraw(1);
  shift_only.shift_x.fill_(1);
  expected = applyAugmentation(expected.reshape({1, -1}), shift_only, kSquare);
  EXPECT_TRUE(torch::equal(applyAugmentation(image, draw, kSquare), expected));
}

TEST(Augmentation, BrightnessAddsThenContrastScalesAboutZero) {
  auto draw = identityDraw(1);
  draw.brightness.fill_(0.25f);
  draw.contrast.fill_(1.5f);
  const auto image = distinctImage(kSquare);
  EXPECT_TRUE(torch::equal(applyAugmentation(image, draw, kSquare), (image + 0.25f) * 1.5f));
}

TEST(Augmentation, SaturationScalesTheDistanceFromEachPixelsGrey) {
  const ImageGeometry rgb{3, 4, 4};
  auto draw = identityDraw(1);
  draw.saturate.fill_(true);
  draw.saturation.fill_(0.5f);
  const auto image = distinctImage(rgb);
  const auto out = applyAugmentation(image, draw, rgb).view({3, 16});
  const auto in = image.view({3, 16});
  const auto grey = in.mean(0, true);
  EXPECT_TRUE(torch::allclose(out.mean(0, true), grey, 0, 1e-6));
  EXPECT_TRUE(torch::allclose(out - grey, (in - grey) * 0.5, 0, 1e-6));
  // Factor 0: every channel becomes the grey.
  draw.saturation.fill_(0.0f);
  EXPECT_TRUE(torch::allclose(applyAugmentation(image, draw, rgb).view({3, 16}), grey.expand({3, 16}), 0, 1e-6));
}

TEST(Augmentation, CutoutZeroesASquareOfHalfTheSide) {
  const ImageGeometry g{2, 8, 8};
  auto draw = identityDraw(1);
  draw.cutout.fill_(true);
  draw.cutout_y.fill_(0.5f);
  draw.cutout_x.fill_(0.25f);
  const auto image = distinctImage(g) + 2;  // no zero of its own
  const auto out = asImage(applyAugmentation(image, draw, g), g);
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t y = 0; y < 8; ++y) {
      for (int64_t x = 0; x < 8; ++x) {
        // Pixel centres (i + 0.5) / 8 within 0.25 of the centre: rows 2..5, columns 0..3.
        const bool covered = y >= 2 && y <= 5 && x <= 3;
        EXPECT_EQ(out[c][y][x].item<float>() == 0.0f, covered) << c << "," << y << "," << x;
      }
    }
  }
}

TEST(Augmentation, ProbabilityZeroDrawsTheIdentityAndOneDrawsEveryTransform) {
  const ImageGeometry rgb{3, 8, 8};
  const auto images = torch::rand({64, 3 * 64}) * 2 - 1;
  const auto none = drawAugmentation(7, AugmentationStream::RealInDStep, 3, 0, 64, 0.0, rgb);
  EXPECT_TRUE(torch::equal(applyAugmentation(images, none, rgb), images));
  const auto all = drawAugmentation(7, AugmentationStream::RealInDStep, 3, 0, 64, 1.0, rgb);
  EXPECT_TRUE(all.cutout.all().item<bool>());
  EXPECT_TRUE(all.saturate.all().item<bool>());
  EXPECT_TRUE((all.contrast != 1).all().item<bool>());
  EXPECT_TRUE((all.brightness != 0).all().item<bool>());
  // Flip and turns then pick uniformly, identity included: some rows of each.
  EXPECT_GT(all.flip.sum().item<int64_t>(), 16);
  EXPECT_LT(all.flip.sum().item<int64_t>(), 48);
  EXPECT_GT((all.quarter_turns == 0).sum().item<int64_t>(), 4);
  EXPECT_GT((all.quarter_turns == 3).sum().item<int64_t>(), 4);
  EXPECT_LE(all.shift_x.abs().max().item<int64_t>(), 1);  // 1/8 of 8 pixels
}

TEST(Augmentation, OnlyTheListedTransformsApply) {
  const ImageGeometry rgb{3, 8, 8};
  const AugmentationSet flip_and_cutout = 1u << 0 | 1u << 6;  // kAugmentationNames: flip, ..., cutout
  const auto draw = drawAugmentation(7, AugmentationStream::RealInDStep, 3, 0, 64, 1.0, rgb, flip_and_cutout);
  EXPECT_TRUE(draw.cutout.all().item<bool>());
  EXPECT_GT(draw.flip.sum().item<int64_t>(), 0);
  EXPECT_EQ(draw.quarter_turns.abs().sum().item<int64_t>(), 0);
  EXPECT_EQ((draw.shift_x.abs() + draw.shift_y.abs()).sum().item<int64_t>(), 0);
  EXPECT_TRUE((draw.brightness == 0).all().item<bool>());
  EXPECT_TRUE((draw.contrast == 1).all().item<bool>());
  EXPECT_FALSE(draw.saturate.any().item<bool>());
}

TEST(Augmentation, EachTransformAppliesWithProbabilityP) {
  const ImageGeometry rgb{3, 32, 32};
  const int64_t rows = 20000;
  const double p = 0.3;
  const auto draw = drawAugmentation(11, AugmentationStream::FakeInGStep, 5, 0, rows, p, rgb);
  auto share = [&](const torch::Tensor& chosen) { return chosen.to(torch::kFloat64).mean().item<double>(); };
  // Binomial standard deviation at 20,000 rows: ~0.003; 0.015 is five of them.
  EXPECT_NEAR(share(draw.cutout), p, 0.015);
  EXPECT_NEAR(share(draw.saturate), p, 0.015);
  EXPECT_NEAR(share(draw.contrast != 1), p, 0.015);
  EXPECT_NEAR(share(draw.brightness != 0), p, 0.015);
  EXPECT_NEAR(share(draw.flip), p / 2, 0.015);
  EXPECT_NEAR(share(draw.quarter_turns != 0), p * 3 / 4, 0.015);
  // Shifts of up to 4 pixels, rounded; a chosen row may still draw 0.
  EXPECT_NEAR(share((draw.shift_x != 0) | (draw.shift_y != 0)), p * (1 - 1.0 / 81), 0.02);
  EXPECT_LE(draw.shift_y.abs().max().item<int64_t>(), 4);
}

TEST(Augmentation, DrawsDependOnTheGlobalRowNotOnTheSplit) {
  const ImageGeometry g{1, 28, 28};
  const auto whole = drawAugmentation(3, AugmentationStream::RealInDStep, 9, 0, 12, 0.5, g);
  const auto part = drawAugmentation(3, AugmentationStream::RealInDStep, 9, 4, 5, 0.5, g);
  EXPECT_TRUE(torch::equal(whole.contrast.narrow(0, 4, 5), part.contrast));
  EXPECT_TRUE(torch::equal(whole.shift_x.narrow(0, 4, 5), part.shift_x));
  EXPECT_TRUE(torch::equal(whole.cutout_y.narrow(0, 4, 5), part.cutout_y));
  // Other streams and batches draw otherwise.
  const auto fake = drawAugmentation(3, AugmentationStream::FakeInDStep, 9, 0, 12, 0.5, g);
  const auto next = drawAugmentation(3, AugmentationStream::RealInDStep, 10, 0, 12, 0.5, g);
  EXPECT_FALSE(torch::equal(whole.cutout_y, fake.cutout_y));
  EXPECT_FALSE(torch::equal(whole.cutout_y, next.cutout_y));
  // Rotation is drawn only for square images, saturation only for colour ones.
  const ImageGeometry wide{3, 4, 8};
  const auto always = drawAugmentation(3, AugmentationStream::RealInDStep, 9, 0, 50, 1.0, wide);
  EXPECT_EQ(always.quarter_turns.abs().sum().item<int64_t>(), 0);
  EXPECT_FALSE(drawAugmentation(3, AugmentationStream::RealInDStep, 9, 0, 50, 1.0, g).saturate.any().item<bool>());
}

TEST(Augmentation, GradientMatchesFiniteDifferences) {
  const ImageGeometry rgb{3, 6, 6};
  const int64_t rows = 3, n = rgb.channels * rgb.height * rgb.width;
  torch::manual_seed(5);
  const auto draw = drawAugmentation(21, AugmentationStream::FakeInGStep, 1, 0, rows, 1.0, rgb);
  const auto images = (torch::rand({rows, n}, torch::kFloat64) * 2 - 1).requires_grad_(true);
  const auto weights = torch::randn({rows, n}, torch::kFloat64);
  auto objective = [&](const torch::Tensor& x) { return (applyAugmentation(x, draw, rgb) * weights).sum(); };
  objective(images).backward();
  const auto analytic = images.grad();
  const auto base = images.detach();
  const double h = 1e-6;
  double worst = 0;
  for (int64_t i = 0; i < rows * n; ++i) {
    auto plus = base.clone(), minus = base.clone();
    plus.view({-1})[i] += h;
    minus.view({-1})[i] -= h;
    const double numeric = (objective(plus).item<double>() - objective(minus).item<double>()) / (2 * h);
    worst = std::max(worst, std::abs(numeric - analytic.view({-1})[i].item<double>()));
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_GT(analytic.abs().sum().item<double>(), 0);  // the gradient does reach the images
}

// ---- p's rule

TEST(AdaController, MovesPAgainstAHandComputedSequence) {
  // Global batch 10, adjust every 2 steps, p moves by 10 * 2 / (0.1 * 1000) = 0.2.
  AdaController ada({0.5, 2, 0.1, 10});
  EXPECT_DOUBLE_EQ(ada.settings().stepSize(), 0.2);
  ada.observe(1, 8, 10);
  EXPECT_EQ(ada.p(), 0.0);  // only every second step
  ada.observe(2, 6, 10);    // r_t = 14 / 20 = 0.7 > 0.5
  EXPECT_DOUBLE_EQ(ada.p(), 0.2);
  EXPECT_DOUBLE_EQ(ada.state().last_rt, 0.7);
  EXPECT_EQ(ada.state().count, 0);
  ada.observe(3, 10, 10);
  ada.observe(4, 10, 10);  // r_t = 1
  EXPECT_DOUBLE_EQ(ada.p(), 0.4);
  ada.observe(5, -10, 10);
  ada.observe(6, 2, 10);  // r_t = -0.4
  EXPECT_DOUBLE_EQ(ada.p(), 0.2);
  ada.observe(7, 5, 10);
  ada.observe(8, 5, 10);  // r_t = 0.5: on target, p stays
  EXPECT_DOUBLE_EQ(ada.p(), 0.2);
  for (int64_t step = 9; step <= 30; ++step) ada.observe(step, 10, 10);
  EXPECT_EQ(ada.p(), 1.0);  // clamped
  for (int64_t step = 31; step <= 60; ++step) ada.observe(step, -10, 10);
  EXPECT_EQ(ada.p(), 0.0);  // clamped
}

TEST(AdaController, ContinuesFromARestoredStateExactly) {
  const AdaSettings settings{0.2, 4, 5, 64};  // p moves by 64 * 4 / 5000 = 0.0512
  auto signs = [](int64_t step) { return (step * 37) % 105 - 40; };  // r_t per interval: 0, .26, .11, .38, .23
  AdaController straight(settings);
  for (int64_t step = 1; step <= 20; ++step) straight.observe(step, signs(step), 64);
  AdaController first(settings);
  for (int64_t step = 1; step <= 18; ++step) first.observe(step, signs(step), 64);
  // Resumed mid-interval: what was gathered over steps 17 and 18 counts in step 20's r_t.
  AdaController resumed(settings, first.state());
  AdaController forgetful(settings, AdaState{first.state().p});
  for (int64_t step = 19; step <= 20; ++step) {
    resumed.observe(step, signs(step), 64);
    forgetful.observe(step, signs(step), 64);
  }
  EXPECT_GT(straight.p(), 0);
  EXPECT_EQ(resumed.p(), straight.p());
  EXPECT_EQ(resumed.state().last_rt, straight.state().last_rt);
  EXPECT_NE(forgetful.state().last_rt, straight.state().last_rt);
}

}  // namespace
