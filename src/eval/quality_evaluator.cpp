#include "eval/quality_evaluator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "comm/tensor_buffer.h"
#include "common/error.h"
#include "datasets/open_dataset.h"
#include "datasets/gaussian_mixture.h"
#include "datasets/image_dataset.h"
#include "data/latent_noise.h"
#include "datasets/noise_tensors.h"
#include "eval/feature_classifier.h"
#include "eval/kernel_distance.h"
#include "eval/manifold_precision_recall.h"
#include "eval/sample_quality.h"

namespace gan::eval {
namespace {

constexpr int64_t kChunk = 500;
// Kernel distance over 100 subsets of 1,000 rows (the usual protocol), on subsets fixed once for
// all runs so that values of different runs compare.
constexpr int64_t kKernelDistanceSubsets = 100;
constexpr int64_t kKernelDistanceSubsetSize = 1000;
constexpr uint64_t kKernelDistanceSeed = 0x4b4944;

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

// A conditional generator's rows are drawn for `labels` (every evaluated row's class, on the
// CPU; undefined for an unconditional generator).
RowSource generatedRows(models::Generator& generator, int64_t latent_dim, uint64_t seed, const torch::Device& device,
                        const torch::Tensor& labels = {}) {
  return [&generator, latent_dim, seed, device, labels](int64_t first, int64_t count) {
    const auto z = datasets::latentNoiseTensor(seed, data::kEvaluationNoiseStep, first, count, latent_dim, device);
    if (!labels.defined()) return models::generateSamples(generator, z);
    return models::generateSamples(generator, z, labels.narrow(0, first, count).to(device));
  };
}

// ---- 2-D mixtures
class MixtureEvaluator final : public QualityEvaluator {
 public:
  MixtureEvaluator(const datasets::GaussianMixtureDataset& mixture, int64_t samples, comm::Communicator& communicator,
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

// ---- images: classifier features of every row, on every rank
// The classifier's view of a set of rows: features (n, d) and class probabilities (n, classes),
// float64 on the CPU, identical on every rank. Each rank computes its chunks; the rows of other
// ranks stay zero and the tensors are summed across ranks, which is exact (x + 0 = x), so every
// value computed from them is the same on any world size.
struct FeatureSet {
  torch::Tensor features, probabilities;
  torch::Tensor radii;  // each row's distance to its k-th nearest row (precision/recall)

  int64_t size() const { return features.size(0); }
  double classifierScore() const {
    const auto marginal = probabilities.mean(0);
    const double p_log_p = (probabilities * probabilities.clamp_min(1e-30).log()).sum(1).mean().item<double>();
    return std::exp(p_log_p - (marginal * marginal.clamp_min(1e-30).log()).sum().item<double>());
  }
};

class ImageEvaluator final : public QualityEvaluator {
 public:
  ImageEvaluator(const Config& config, int64_t samples, comm::Communicator& communicator, const torch::Device& device,
                 EvaluatorOptions options, std::vector<int64_t> class_counts)
      : classifier_(loadClassifier(config.eval.classifier)), samples_(samples), communicator_(communicator),
        device_(device), class_counts_(std::move(class_counts)) {
    classifier_->to(device);
    auto test_set = datasets::openDataset(config.data, DataSplit::Test);
    DataConfig whole_training_set = config.data;  // the references use every training image, --data.limit or not
    whole_training_set.limit = 0;
    auto train_set = datasets::openDataset(whole_training_set, DataSplit::Train);
    GAN_CHECK(test_set->sampleShape() == classifier_->sampleShape(), config.eval.classifier,
              ": the classifier was trained on images of another shape than --data.name=", config.data.name);
    test_ = featureSet(datasetRows(*test_set), test_set->size());
    test_.radii = radiiOf(test_.features);
    test_gaussian_ = fitGaussian(test_.features);
    test_kernel_means_ = realKernelMeans(test_.features, samples_, kernelSubsets(), communicator_.rank(),
                                         communicator_.worldSize());
    comm::sumAcrossRanks(test_kernel_means_, communicator_);
    // What a perfect generator would score with this many samples: training images against the test split.
    const int64_t real_rows = std::min(train_set->size(), test_set->size());
    const auto real = featureSet(datasetRows(*train_set), real_rows);
    for (auto& [name, value] : compare(real)) {
      references_.emplace_back(name == "eval_fd" ? "eval_fd_real_floor" : name + "_real", value);
    }
    if (config.data.limit > 0 || config.data.holdout > 0) {
      // The images trained on (up to as many as are generated): memorisation brings generated
      // samples closer to them than to the images never trained on.
      auto trained_on = datasets::openDataset(config.data, DataSplit::Train);
      train_features_ = featureSet(datasetRows(*trained_on), std::min(trained_on->size(), samples_)).features;
      train_gaussian_ = fitGaussian(train_features_);
    }
    if (!class_counts_.empty()) prepareClassMeasures(*test_set);
    if (!test_class_features_.empty() && train_set->hasLabels()) {
      // The per-class figures of training images under their own labels: the conditional ceiling.
      for (auto& [name, value] : classMeasures(real, train_set->allLabels().narrow(0, 0, real_rows))) {
        if (name == "eval_class_accuracy" || name == "eval_class_recall") references_.emplace_back(name + "_real", value);
      }
    }
    if (options.noise_reference) {
      for (auto& [name, value] : compare(featureSet(uniformNoiseRows(test_set->featureSize()), samples_))) {
        references_.emplace_back(name + "_noise", value);
      }
    }
  }

  Measurements evaluate(models::Generator& generator, int64_t latent_dim, uint64_t seed) override {
    // A conditional generator's rows: their classes from the evaluation's own label stream,
    // drawn by the training set's frequencies, row-keyed like the noise.
    const auto labels = class_counts_.empty()
                            ? torch::Tensor()
                            : datasets::classLabelTensor(seed, data::kEvaluationNoiseStep, 0, samples_, class_counts_);
    auto generated = featureSet(generatedRows(generator, latent_dim, seed, device_, labels), samples_);
    Measurements measurements;
    if (train_features_.defined()) {
      measurements.emplace_back("eval_fd_train", frechetDistance(train_gaussian_, fitGaussian(generated.features)));
      // The Fréchet distance to a few hundred images is biased upwards by their covariance's
      // sampling error; the kernel distance is unbiased at any count, so it is the fair side of
      // the gap (eval_kid_train against eval_kid) on the small sets where memorisation happens.
      measurements.emplace_back("eval_kid_train", kernelDistanceTo(train_features_, generated.features));
    }
    if (labels.defined()) {
      for (auto& measurement : classMeasures(generated, labels)) measurements.push_back(std::move(measurement));
    }
    auto overall = compare(std::move(generated));
    overall.insert(overall.end(), measurements.begin(), measurements.end());
    return overall;
  }
  Measurements references() const override { return references_; }
  int64_t sampleCount() const override { return samples_; }

 private:
  FeatureClassifier classifier_;
  int64_t samples_;
  comm::Communicator& communicator_;
  torch::Device device_;
  FeatureSet test_;
  GaussianFit test_gaussian_;
  torch::Tensor test_kernel_means_;  // each kernel-distance subset's test-set term, for samples_ generated rows
  Measurements references_;
  torch::Tensor train_features_;  // --data.limit / --data.holdout: the images trained on
  GaussianFit train_gaussian_;
  // Conditional generators: the training set's class sizes, and per measured class the test
  // images' Gaussian fit (undefined for a class with fewer than two test images).
  std::vector<int64_t> class_counts_;
  std::vector<GaussianFit> test_class_gaussians_;
  std::vector<torch::Tensor> test_class_features_;  // per measured class, its test images' features
  bool classifier_knows_classes_ = false;  // the classifier's classes are the data's

  static KernelDistanceSubsets kernelSubsets() {
    return {kKernelDistanceSubsets, kKernelDistanceSubsetSize, kKernelDistanceSeed};
  }

  RowSource datasetRows(const datasets::Dataset& dataset) const {
    return [&dataset, device = device_](int64_t first, int64_t count) {
      std::vector<int64_t> indices(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) indices[size_t(i)] = first + i;
      return dataset.batch(indices, device);
    };
  }

  RowSource uniformNoiseRows(int64_t features) const {
    return [features, device = device_](int64_t first, int64_t count) {
      // Row-keyed like everything else: the same noise whatever the world size.
      return datasets::mixingWeightTensor(data::kNoiseReferenceSeed, 0, first * features, count * features, device)
                 .view({count, features}) * 2 - 1;
    };
  }

  // Rows [0, n) of `source` through the classifier, each rank taking its chunks.
  FeatureSet featureSet(const RowSource& source, int64_t n) {
    torch::NoGradGuard no_grad;
    GAN_CHECK(n > kManifoldNeighbours, "evaluation needs more than ", kManifoldNeighbours, " samples, got ", n);
    const int64_t classes = classifier_->classes();
    auto packed = torch::zeros({n, kFeatureDim + classes}, torch::kFloat64);
    for (const auto& [first, count] : chunksOf(n, communicator_)) {
      const auto features = classifier_->features(source(first, count));
      const auto probabilities = torch::softmax(classifier_->logitsFromFeatures(features), 1);
      packed.narrow(0, first, count).copy_(torch::cat({features, probabilities}, 1).to(torch::kCPU, torch::kFloat64));
    }
    comm::sumAcrossRanks(packed, communicator_);
    return {packed.narrow(1, 0, kFeatureDim).contiguous(), packed.narrow(1, kFeatureDim, classes).contiguous(), {}};
  }

  // Every row's k-th-neighbour radius, each rank computing its chunks (then summed, exactly).
  torch::Tensor radiiOf(const torch::Tensor& features) {
    auto radii = torch::zeros({features.size(0)}, torch::kFloat64);
    for (const auto& [first, count] : chunksOf(features.size(0), communicator_)) {
      radii.narrow(0, first, count).copy_(neighbourRadii(features, first, count));
    }
    comm::sumAcrossRanks(radii, communicator_);
    return radii;
  }

  void prepareClassMeasures(const datasets::Dataset& test_set) {
    const int64_t classes = static_cast<int64_t>(class_counts_.size());
    classifier_knows_classes_ = classifier_->classes() == classes;
    if (!test_set.hasLabels()) return;
    const auto labels = test_set.allLabels();
    for (int64_t k = 0; k < std::min(classes, kPerClassLimit); ++k) {
      const auto rows = test_.features.index({labels == k});
      test_class_gaussians_.push_back(rows.size(0) >= 2 ? fitGaussian(rows) : GaussianFit());
      test_class_features_.push_back(rows);
    }
  }

  // Per class: the Fréchet distance of the rows generated for it to the test images of it, its
  // recall (the share of its test images inside the manifold of the rows generated for it: does
  // G draw the class's variety, or one garment of it?), and the share the classifier puts in it.
  // The features are the same on every rank (summed exactly), so every rank computes the same
  // values with no communication.
  Measurements classMeasures(const FeatureSet& generated, const torch::Tensor& labels) const {
    Measurements measurements;
    const auto predicted = generated.probabilities.argmax(1);
    double accuracy_sum = 0, recall_sum = 0;
    int64_t accuracy_classes = 0, recall_classes = 0;
    Measurements accuracies, recalls;
    for (int64_t k = 0; k < static_cast<int64_t>(class_counts_.size()); ++k) {
      const auto mine = labels == k;
      const int64_t rows = mine.sum().item<int64_t>();
      if (rows == 0) continue;
      const bool listed = k < kPerClassLimit;
      const bool tested = k < int64_t(test_class_gaussians_.size()) && test_class_gaussians_[size_t(k)].mean.defined();
      const auto features = generated.features.index({mine});
      if (listed && tested && rows >= 2) {
        measurements.emplace_back("eval_fd_class" + std::to_string(k),
                                  frechetDistance(test_class_gaussians_[size_t(k)], fitGaussian(features)));
      }
      if (tested && rows > kManifoldNeighbours) {
        const auto& real = test_class_features_[size_t(k)];
        const double recall = double(countInsideManifold(real, features, neighbourRadii(features, 0, rows))) /
                              double(real.size(0));
        recall_sum += recall;
        ++recall_classes;
        if (listed) recalls.emplace_back("eval_class_recall" + std::to_string(k), recall);
      }
      if (!classifier_knows_classes_) continue;
      const double accuracy = (predicted.index({mine}) == k).to(torch::kFloat64).mean().item<double>();
      accuracy_sum += accuracy;
      ++accuracy_classes;
      if (listed) accuracies.emplace_back("eval_class_accuracy" + std::to_string(k), accuracy);
    }
    if (accuracy_classes > 0) measurements.emplace_back("eval_class_accuracy", accuracy_sum / double(accuracy_classes));
    if (recall_classes > 0) measurements.emplace_back("eval_class_recall", recall_sum / double(recall_classes));
    measurements.insert(measurements.end(), accuracies.begin(), accuracies.end());
    measurements.insert(measurements.end(), recalls.begin(), recalls.end());
    return measurements;
  }

  // The mean kernel distance between `reference` and `generated` rows, the subsets shared out
  // over the ranks like compare()'s.
  double kernelDistanceTo(const torch::Tensor& reference, const torch::Tensor& generated) {
    auto per_subset = kernelDistancePerSubset(reference, generated, kernelSubsets(), communicator_.rank(),
                                              communicator_.worldSize());
    comm::sumAcrossRanks(per_subset, communicator_);
    return meanAndSpread(per_subset).mean;
  }

  // `candidate` (generated, training or noise rows) against the test split. The quadratic parts
  // (kernel-distance subsets, manifold membership) are shared out over the ranks and their
  // results travel in one reduction.
  Measurements compare(FeatureSet candidate) {
    candidate.radii = radiiOf(candidate.features);
    const auto subsets = kernelSubsets();
    const int rank = communicator_.rank(), world = communicator_.worldSize();
    auto results = torch::zeros({subsets.count + 2}, torch::kFloat64);
    const auto cached = candidate.size() == samples_ ? test_kernel_means_ : torch::Tensor();
    results.narrow(0, 0, subsets.count)
        .copy_(kernelDistancePerSubset(test_.features, candidate.features, subsets, rank, world, cached));
    int64_t precise = 0, recalled = 0;
    for (const auto& [first, count] : chunksOf(candidate.size(), communicator_)) {
      precise += countInsideManifold(candidate.features.narrow(0, first, count), test_.features, test_.radii);
    }
    for (const auto& [first, count] : chunksOf(test_.size(), communicator_)) {
      recalled += countInsideManifold(test_.features.narrow(0, first, count), candidate.features, candidate.radii);
    }
    results[subsets.count] = double(precise);
    results[subsets.count + 1] = double(recalled);
    comm::sumAcrossRanks(results, communicator_);
    const auto kid = meanAndSpread(results.narrow(0, 0, subsets.count));
    return {{"eval_fd", frechetDistance(test_gaussian_, fitGaussian(candidate.features))},
            {"eval_classifier_score", candidate.classifierScore()},
            {"eval_kid", kid.mean},
            {"eval_kid_std", kid.std},
            {"eval_precision", results[subsets.count].item<double>() / double(candidate.size())},
            {"eval_recall", results[subsets.count + 1].item<double>() / double(test_.size())}};
  }
};

}  // namespace

int64_t defaultEvaluationSamples(const DataConfig& data) { return data.isPointCloud() ? 2500 : 10000; }

std::unique_ptr<QualityEvaluator> createEvaluator(const Config& config, comm::Communicator& communicator,
                                                  const torch::Device& device, EvaluatorOptions options,
                                                  std::vector<int64_t> class_counts) {
  const int64_t samples = config.eval.samples > 0 ? config.eval.samples : defaultEvaluationSamples(config.data);
  if (config.data.isPointCloud()) {
    return std::make_unique<MixtureEvaluator>(datasets::GaussianMixtureDataset::named(config.data.name), samples,
                                              communicator, device);
  }
  GAN_CHECK(!config.eval.classifier.empty(), "--eval.classifier: evaluating ", config.data.name,
            " images needs the feature network; train one with `gan_eval train-classifier --out FILE`");
  return std::make_unique<ImageEvaluator>(config, samples, communicator, device, options, std::move(class_counts));
}

}  // namespace gan::eval
