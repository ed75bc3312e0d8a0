// gan_eval: sample quality as numbers.
//   gan_eval train-classifier --out runs/classifier.pt           (Fashion-MNIST feature network)
//   gan_eval checkpoint --checkpoint OUT/checkpoints/latest [--classifier runs/classifier.pt]
//   mpirun -np 4 gan_eval checkpoint ...                          (the work is split across ranks)
// Results are printed as name=value lines, with the names metrics.jsonl uses.
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "apps/process_setup.h"
#include "common/error.h"
#include "common/log.h"
#include "checkpoint/networks_from_checkpoint.h"
#include "datasets/open_dataset.h"
#include "eval/feature_classifier.h"
#include "eval/quality_evaluator.h"
#include "process/compute_threads.h"

namespace po = boost::program_options;

namespace {

const char* const kUsage =
    "usage: gan_eval train-classifier --out FILE [options]\n"
    "       gan_eval checkpoint --checkpoint DIR [--classifier FILE] [options]   (also under mpirun)\n";

// The classifier is written after minutes of training: a place it cannot be written is found
// before them. Missing directories are made, as gan_dist makes its output directory.
void checkOutputWritable(const std::string& out) {
  const std::filesystem::path path(out);
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  GAN_CHECK(!error, "--out '", out, "': cannot make its directory (", error.message(), ")");
  const std::string probe = out + ".tmp";  // the name saveClassifier writes before renaming
  std::FILE* file = std::fopen(probe.c_str(), "wb");
  GAN_CHECK(file != nullptr, "--out '", out, "': cannot write there (", std::strerror(errno), ")");
  std::fclose(file);
  std::remove(probe.c_str());
}

void trainClassifierCommand(const po::variables_map& vm) {
  gan::DataConfig data;
  data.name = gan::parseOptionValue<gan::DataSetName>(vm["data.name"].as<std::string>(), "--data.name");
  data.path = vm["data.path"].as<std::string>();
  const std::string out = vm["out"].as<std::string>();
  GAN_CHECK(!out.empty(), "--out is required: where to write the classifier");
  gan::eval::ClassifierTraining settings;
  settings.epochs = vm["epochs"].as<int64_t>();
  settings.seed = vm["seed"].as<uint64_t>();
  settings.decay_per_epoch = vm["lr-decay"].as<double>();
  GAN_CHECK(settings.epochs > 0, "--epochs must be positive");
  checkOutputWritable(out);
  const double minimum = vm["min-accuracy"].as<double>();
  gan::apps::setUpCpu();
  std::printf("%s\n", gan::process::configureComputeThreads(vm["threads"].as<int>()).summary.c_str());

  auto train_set = gan::datasets::openDataset(data, gan::DataSplit::Train);
  auto test_set = gan::datasets::openDataset(data, gan::DataSplit::Test);
  GAN_CHECK(train_set->isImage() && train_set->hasLabels() && test_set->hasLabels(), "--data.name=", data.name,
            ": the classifier needs a labelled image data set");
  std::printf("training the feature classifier on %s\n", train_set->description().c_str());
  if (data.name == gan::DataSetName::Packed || data.name == gan::DataSetName::ImageFolder) {
    std::printf("note: %s has no test split; the accuracy below is measured on the training images\n",
                gan::optionName(data.name));
  }
  std::fflush(stdout);
  auto classifier = gan::eval::trainClassifier(*train_set, settings, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  const double accuracy = gan::eval::classifierAccuracy(classifier, *test_set);
  std::printf("classifier_test_accuracy=%.4f\n", accuracy);
  std::fflush(stdout);
  GAN_CHECK(accuracy >= minimum, "test accuracy ", accuracy, " is below --min-accuracy=", minimum,
            "; the classifier was not saved (train longer with --epochs)");
  gan::eval::saveClassifier(classifier, out);
  std::printf("classifier written to %s\n", out.c_str());
}

void checkpointCommand(const po::variables_map& vm) {
  const std::string checkpoint = vm["checkpoint"].as<std::string>();
  GAN_CHECK(!checkpoint.empty(), "--checkpoint is required");
  const auto cpu = gan::apps::setUpCpu();
  // The generator comes with the run's configuration; the options below adjust only evaluation.
  const auto loaded = gan::checkpoint::loadGeneratorFromCheckpoint(checkpoint);
  gan::Config config = loaded.config;
  if (!vm["classifier"].as<std::string>().empty()) config.eval.classifier = vm["classifier"].as<std::string>();
  if (vm["samples"].as<int64_t>() > 0) config.eval.samples = vm["samples"].as<int64_t>();
  if (!vm["data.path"].as<std::string>().empty()) config.data.path = vm["data.path"].as<std::string>();
  config.train.threads = vm["threads"].as<int>();
  config.train.device = gan::DeviceChoice::Cpu;  // the checkpoint's generator is rebuilt on the CPU

  std::unique_ptr<gan::comm::Communicator> communicator;
  try {
    auto setup = gan::apps::setUpProcess(config, cpu, "gan_eval");
    communicator = std::move(setup.communicator);
    auto evaluator =
        gan::eval::createEvaluator(config, *communicator, setup.device, {/*noise_reference=*/true}, loaded.class_counts);
    const uint64_t seed = vm.count("seed") && !vm["seed"].defaulted() ? vm["seed"].as<uint64_t>()
                                                                       : static_cast<uint64_t>(config.train.seed);
    const auto measurements = evaluator->evaluate(*loaded.generator, loaded.latent_dim, seed);
    if (communicator->rank() == 0) {
      std::printf("checkpoint=%s\nstep=%ld\nema=%d\nsamples=%ld\n", checkpoint.c_str(), long(loaded.step),
                  int(loaded.from_ema), long(evaluator->sampleCount()));
      for (const auto& [name, value] : measurements) std::printf("%s=%.6g\n", name.c_str(), value);
      for (const auto& [name, value] : evaluator->references()) std::printf("%s=%.6g\n", name.c_str(), value);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    gan::apps::failJob("gan_eval", e, communicator.get());
  }
}

}  // namespace

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();
  po::options_description options("gan_eval options");
  options.add_options()("help,h", "print this help")(
      "out", po::value<std::string>()->default_value(""), "train-classifier: the file to write")(
      "data.name", po::value<std::string>()->default_value("fashion_mnist"), "train-classifier: fashion_mnist | mnist | cifar10 | packed | image_folder (labelled: class folders)")(
      "data.path", po::value<std::string>()->default_value(""), "data directory (default: the Debian data set's)")(
      "epochs", po::value<int64_t>()->default_value(8), "train-classifier: passes over the training set")(
      "lr-decay", po::value<double>()->default_value(0.75), "train-classifier: learning rate factor per epoch (Adam, from 1e-3)")(
      "min-accuracy", po::value<double>()->default_value(0.90),
      "train-classifier: refuse to save a classifier below this test accuracy")(
      "checkpoint", po::value<std::string>()->default_value(""), "checkpoint: the checkpoint directory to evaluate")(
      "classifier", po::value<std::string>()->default_value(""),
      "checkpoint: feature network for images (default: the run's --eval.classifier)")(
      "samples", po::value<int64_t>()->default_value(0), "checkpoint: generated samples (0: the run's --eval.samples or the default)")(
      "seed", po::value<uint64_t>()->default_value(7), "train-classifier: initialisation and order; checkpoint: noise (default: the run's seed)")(
      "threads", po::value<int>()->default_value(1), "compute threads per process");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help") || !vm.count("command")) {
      std::cout << kUsage << "\n" << options;
      return vm.count("help") ? 0 : 2;
    }
    const std::string command = vm["command"].as<std::string>();
    if (command == "train-classifier") {
      trainClassifierCommand(vm);
    } else if (command == "checkpoint") {
      checkpointCommand(vm);
    } else {
      GAN_FAIL("unknown command '", command, "' (train-classifier | checkpoint)");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_eval: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
