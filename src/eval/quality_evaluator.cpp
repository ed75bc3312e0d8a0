#include "eval/quality_evaluator.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "comm/tensor_buffer.h"
#include "common/error.h"
#include "data/gaussian_mixture.h"
#include "data/image_dataset.h"
#include "data/latent_noise.h"
#include "data/noise_tensors.h"
#include "eval/feature_classifier.h"
#include "eval/sample_quality.h"

namespace gan::eval {
namespace {

constexpr int64_t kChunk = 500;

// This rank's chunks of rows [0, n), as (first, count). Chunk c is always rows
// [c * kChunk, (c + 1) * kChunk): a function of the global row index alone, so a generator whose
// samples depend on their batch (batch norm outside training) produces the same rows whatever
// the world size. Ranks take whole chunks.
std::vector<std::pair<int64_t, int64_t>> chunksOf(int64_t n, const comm::Communicator& communicator) {
  const int64_t rank = communicator.rank(), world = communicator.worldSize();
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<std::pair<int64_t, int64_t>> mine;
  for (int64_t c = chunks * rank / world; c < chunks * (rank + 1) / world; ++c) {
    mine.emplace_back(c * kChunk, std::min(kChunk, n - c * kChunk));
  }
  return mine;
}

// Rows [first, first + count) of the evaluation noise, in chunks, through the generator.
using RowSource = std::function<torch::Tensor(int64_t first, int64_t count)>;

RowSource generatedRows(models::Generator& generator, int64_t latent_dim, uint64_t seed, const torch::Device& device) {
  return [&generator, latent_dim, seed, device](int64_t first, int64_t count) {
    return models::generateSamples(
        generator, data::latentNoiseTensor(seed, data::kEvaluationNoiseStep, first, count, latent_dim, device));
  };
}

// ---- 2-D mixtures
class MixtureEvaluator final : public QualityEvaluator {
 public:
  MixtureEvaluator(const data::GaussianMixtureDataset& mixture, int64_t samples, comm::Communicator& communicator,
                   const torch::Device& device)
      : modes_(mixture.modes()), sigma_(mixture.sigma()), samples_(samples), communicator_(communicator),
        device_(device) {}

  Measurements evaluate(models::Generator& generator, int64_t latent_dim, uint64_t seed) override {
    const auto source = generatedRows(generator, latent_dim, seed, device_);
    auto counts = torch::zeros({modes_.size(0)}, torch::kFloat64);
    for (const auto& [first, count] : chunksOf(samples_, communicator_)) {
      counts += highQualityCountsPerMode(source(first, count), modes_, sigma_);
    }
    comm::sumAcrossRanks(counts, communicator_);
    const auto coverage = coverageFromCounts(counts, samples_);
    return {{"eval_modes", double(coverage.modes_covered)}, {"eval_high_quality", coverage.high_quality_fraction}};
  }
  Measurements references() const override { return {{"eval_modes_total", double(modes_.size(0))}}; }
  int64_t sampleCount() const override { return samples_; }

 private:
  torch::Tensor modes_;
  double sigma_;
  int64_t samples_;
  comm::Communicator& communicator_;
  torch::Device device_;
};

// ---- images: sums of classifier features and probabilities, added up across ranks
struct FeatureMoments {
  double count = 0;
  torch::Tensor feature_sum, feature_outer, probability_sum;  // float64
  double p_log_p = 0;

  double classifierScore() const {
    auto marginal = probability_sum / count;
    const double marginal_entropy_term = (marginal * marginal.clamp_min(1e-30).log()).sum().item<double>();
    return std::exp(p_log_p / count - marginal_entropy_term);
  }
  GaussianFit gaussian() const {
    auto mean = feature_sum / count;
    auto covariance = (feature_outer - count * torch::outer(mean, mean)) / (count - 1);
    return {mean, covariance};
  }
};

class ImageEvaluator final : public QualityEvaluator {
 public:
  ImageEvaluator(const Config& config, int64_t samples, comm::Communicator& communicator, const torch::Device& device,
                 EvaluatorOptions options)
      : classifier_(loadClassifier(config.eval.classifier)), samples_(samples), communicator_(communicator),
        device_(device) {
    classifier_->to(device);
    auto test_set = data::openDataset(config.data, "test");
    auto train_set = data::openDataset(config.data, "train");
    GAN_CHECK(test_set->sampleShape() == classifier_->sampleShape(), config.eval.classifier,
              ": the classifier was trained on images of another shape than --data.name=", config.data.name);
    test_ = moments(datasetRows(*test_set), test_set->size());
    const auto train_moments = moments(datasetRows(*train_set), std::min(train_set->size(), test_set->size()));
    references_.emplace_back("eval_fd_real_floor", frechetDistance(test_.gaussian(), train_moments.gaussian()));
    references_.emplace_back("eval_classifier_score_real", test_.classifierScore());
    if (options.noise_reference) {
      const auto noise = moments(uniformNoiseRows(test_set->featureSize()), samples_);
      references_.emplace_back("eval_fd_noise", frechetDistance(test_.gaussian(), noise.gaussian()));
      references_.emplace_back("eval_classifier_score_noise", noise.classifierScore());
    }
  }

  Measurements evaluate(models::Generator& generator, int64_t latent_dim, uint64_t seed) override {
    const auto generated = moments(generatedRows(generator, latent_dim, seed, device_), samples_);
    return {{"eval_fd", frechetDistance(test_.gaussian(), generated.gaussian())},
            {"eval_classifier_score", generated.classifierScore()}};
  }
  Measurements references() const override { return references_; }
  int64_t sampleCount() const override { return samples_; }

 private:
  FeatureClassifier classifier_;
  int64_t samples_;
  comm::Communicator& communicator_;
  torch::Device device_;
  FeatureMoments test_;
  Measurements references_;

  RowSource datasetRows(const data::Dataset& dataset) const {
    return [&dataset, device = device_](int64_t first, int64_t count) {
      std::vector<int64_t> indices(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) indices[size_t(i)] = first + i;
      return dataset.batch(indices, device);
    };
  }

  RowSource uniformNoiseRows(int64_t features) const {
    return [features, device = device_](int64_t first, int64_t count) {
      // Row-keyed like everything else: the same noise whatever the world size.
      return data::mixingWeightTensor(data::kNoiseReferenceSeed, 0, first * features, count * features, device)
                 .view({count, features}) * 2 - 1;
    };
  }

  // Moments of rows [0, n) of `source`, each rank taking its share, summed across ranks.
  FeatureMoments moments(const RowSource& source, int64_t n) {
    torch::NoGradGuard no_grad;
    const int64_t classes = classifier_->classes();
    int64_t rows_here = 0;
    auto packed = torch::zeros({2 + kFeatureDim + kFeatureDim * kFeatureDim + classes}, torch::kFloat64);
    auto feature_sum = packed.narrow(0, 1, kFeatureDim);
    auto feature_outer = packed.narrow(0, 1 + kFeatureDim, kFeatureDim * kFeatureDim).view({kFeatureDim, kFeatureDim});
    auto probability_sum = packed.narrow(0, 1 + kFeatureDim + kFeatureDim * kFeatureDim, classes);
    double p_log_p = 0;
    for (const auto& [first, count] : chunksOf(n, communicator_)) {
      rows_here += count;
      const auto rows = source(first, count);
      auto features = classifier_->features(rows);
      auto probabilities = torch::softmax(classifier_->logitsFromFeatures(features), 1).to(torch::kCPU, torch::kFloat64);
      features = features.to(torch::kCPU, torch::kFloat64);
      feature_sum += features.sum(0);
      feature_outer += features.t().mm(features);
      probability_sum += probabilities.sum(0);
      p_log_p += (probabilities * probabilities.clamp_min(1e-30).log()).sum().item<double>();
    }
    packed[0] = double(rows_here);
    packed[packed.numel() - 1] = p_log_p;
    comm::sumAcrossRanks(packed, communicator_);
    FeatureMoments result;
    result.count = packed[0].item<double>();
    result.feature_sum = feature_sum.clone();
    result.feature_outer = feature_outer.clone();
    result.probability_sum = probability_sum.clone();
    result.p_log_p = packed[packed.numel() - 1].item<double>();
    GAN_CHECK(result.count >= 2, "evaluation needs at least 2 samples");
    return result;
  }
};

}  // namespace

int64_t defaultEvaluationSamples(const std::string& data_name) {
  return data::isGaussianMixtureName(data_name) ? 2500 : 10000;
}

std::unique_ptr<QualityEvaluator> createEvaluator(const Config& config, comm::Communicator& communicator,
                                                  const torch::Device& device, EvaluatorOptions options) {
  const int64_t samples = config.eval.samples > 0 ? config.eval.samples : defaultEvaluationSamples(config.data.name);
  if (data::isGaussianMixtureName(config.data.name)) {
    return std::make_unique<MixtureEvaluator>(data::GaussianMixtureDataset::named(config.data.name), samples,
                                              communicator, device);
  }
  GAN_CHECK(!config.eval.classifier.empty(), "--eval.classifier: evaluating ", config.data.name,
            " images needs the feature network; train one with `gan_eval train-classifier --out FILE`");
  return std::make_unique<ImageEvaluator>(config, samples, communicator, device, options);
}

}  // namespace gan::eval
