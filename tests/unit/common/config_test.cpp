// Config parsing: .ini sections as dotted names, command-line overrides, validation messages.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "support/error_message.h"

namespace {

gan::ParsedCommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "gan_dist");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return gan::parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

std::string writeIni(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/config_test_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".ini";
  std::ofstream(path) << text;
  return path;
}

std::string errorOf(std::vector<std::string> args) {
  return gan::test_support::errorMessageOf([&] { parse(std::move(args)); });
}

TEST(Config, DefaultsAreTheReferenceModel) {
  const auto config = parse({}).config;
  EXPECT_EQ(config.model.arch, gan::ModelArch::Mlp);
  EXPECT_EQ(config.model.latent_dim, 100);
  EXPECT_EQ(config.model.hidden_dim, 256);
  EXPECT_EQ(config.train.loss, gan::GanLoss::Nonsaturating);
  EXPECT_DOUBLE_EQ(config.train.lr_g, 2e-4);
  EXPECT_DOUBLE_EQ(config.train.beta1, 0.5);
  EXPECT_DOUBLE_EQ(config.train.beta2, 0.999);
  EXPECT_EQ(config.train.threads, 1);
}

TEST(Config, IniSectionsMapToDottedNames) {
  const auto path = writeIni("[train]\nbatch_size = 32\nloss = minimax\n[output]\ndir = /tmp/x\n");
  const auto config = parse({"--config", path}).config;
  EXPECT_EQ(config.train.batch_size, 32);
  EXPECT_EQ(config.train.loss, gan::GanLoss::Minimax);
  EXPECT_EQ(config.output.dir, "/tmp/x");
  EXPECT_EQ(config.config_file, path);
}

TEST(Config, CommandLineOverridesTheFile) {
  const auto path = writeIni("[train]\nbatch_size = 32\n");
  EXPECT_EQ(parse({"--config", path, "--train.batch_size=8"}).config.train.batch_size, 8);
  EXPECT_EQ(parse({"--train.batch_size=8", "--config", path}).config.train.batch_size, 8);
}

TEST(Config, ResumeReadsItsTwoWordsAndTakesAnythingElseForACheckpoint) {
  gan::OutputConfig output;
  EXPECT_EQ(output.resumeMode(), gan::ResumeMode::Auto);  // the default
  output.resume = "never";
  EXPECT_EQ(output.resumeMode(), gan::ResumeMode::Never);
  for (const char* path : {"runs/x/checkpoints/step_00000100", "auto/", "Never", "./auto"}) {
    output.resume = path;
    EXPECT_EQ(output.resumeMode(), gan::ResumeMode::Checkpoint) << path;
  }
}

TEST(Config, ValidationNamesTheOption) {
  EXPECT_EQ(errorOf({"--train.batch_size=0"}), "--train.batch_size must be a positive integer, got 0");
  EXPECT_EQ(errorOf({"--train.loss=wasserstein"}),
            "--train.loss must be one of nonsaturating | minimax | hinge | wgan-gp, got 'wasserstein'");
  EXPECT_NE(errorOf({"--train.lr_g=-1"}).find("--train.lr_g must be a positive number"), std::string::npos);
  EXPECT_NE(errorOf({"--comm.backend=gloo"}).find("--comm.backend must be one of"), std::string::npos);
  EXPECT_NE(errorOf({"--model.batchnorm=group"}).find("--model.batchnorm must be one of none | local | sync"),
            std::string::npos);
  EXPECT_NE(errorOf({"--data.name=ring8", "--model.arch=dcgan"}).find("use --model.arch=mlp2d"), std::string::npos);
  EXPECT_NE(errorOf({"--data.name=grid25"}).find("--model.arch=mlp ends in tanh"), std::string::npos);
  EXPECT_NE(errorOf({"--eval.every=100"}).find("--eval.classifier"), std::string::npos);
  EXPECT_EQ(errorOf({"--data.name=ring8", "--model.arch=mlp2d", "--eval.every=100"}), "");  // 2-D needs no classifier
  EXPECT_NE(errorOf({"--train.d_steps=0"}).find("--train.d_steps must be a positive integer"), std::string::npos);
  // Limits on sizes (a checkpoint's recorded configuration passes the same checks).
  EXPECT_EQ(errorOf({"--model.hidden_dim=100000"}), "--model.hidden_dim must be at most 65536, got 100000");
  EXPECT_EQ(errorOf({"--train.batch_size=2000000"}), "--train.batch_size must be at most 1048576, got 2000000");
  EXPECT_NE(errorOf({"--output.resume_changes=maybe"}).find("--output.resume_changes must be one of refuse | allow"),
            std::string::npos);
  EXPECT_NE(errorOf({"--train.ema_halflife_k=-1"}).find("--train.ema_halflife_k must be >= 0"), std::string::npos);
  // The mode-seeking term pairs rows (2i, 2i+1) of each rank's batch.
  EXPECT_EQ(errorOf({"--train.mode_seeking=1", "--train.batch_size=6"}), "");
  EXPECT_EQ(errorOf({"--train.mode_seeking=1", "--train.batch_size=5"}),
            "--train.mode_seeking compares rows (2i, 2i+1) of each rank's batch, so --train.batch_size must be even; got 5");
  EXPECT_EQ(errorOf({"--train.batch_size=5"}), "");
  EXPECT_NE(errorOf({"--train.mode_seeking=-1"}).find("--train.mode_seeking must be >= 0"), std::string::npos);
  EXPECT_NE(errorOf({"--output.log_every=-5"}).find("--output.log_every must be a non-negative"), std::string::npos);
  // Adaptive augmentation.
  EXPECT_EQ(errorOf({"--train.ada_target=0.6", "--train.ada_augment=flip,cutout"}), "");
  EXPECT_NE(errorOf({"--train.ada_augment=flip,zoom"}).find("--train.ada_augment: unknown transform 'zoom'"),
            std::string::npos);
  EXPECT_NE(errorOf({"--train.ada_augment="}).find("--train.ada_augment"), std::string::npos);
  EXPECT_NE(errorOf({"--train.ada_target=1"}).find("--train.ada_target must be in [0, 1)"), std::string::npos);
  EXPECT_NE(errorOf({"--data.name=ring8", "--model.arch=mlp2d", "--train.ada_target=0.6"})
                .find("adaptive augmentation transforms images"),
            std::string::npos);
  EXPECT_NE(errorOf({"--train.ada_kimg=0"}).find("--train.ada_kimg must be a positive number"), std::string::npos);
  // Gradient compression.
  EXPECT_EQ(errorOf({"--comm.compress=bf16"}), "");
  EXPECT_EQ(errorOf({"--comm.compress=powersgd", "--comm.powersgd_rank=8"}), "");
  EXPECT_NE(errorOf({"--comm.compress=zip"}).find("--comm.compress must be one of none | bf16 | fp16 | powersgd"),
            std::string::npos);
  EXPECT_NE(errorOf({"--comm.powersgd_rank=0"}).find("--comm.powersgd_rank must be a positive integer"),
            std::string::npos);
  EXPECT_EQ(errorOf({"--comm.compress=powersgd", "--comm.powersgd_warmup_steps=1000"}), "");
  EXPECT_NE(errorOf({"--comm.powersgd_warmup_steps=-1"}).find("--comm.powersgd_warmup_steps must be"),
            std::string::npos);
  EXPECT_NE(errorOf({"--comm.overlap_next_step=maybe"}).find("comm.overlap_next_step"), std::string::npos);
  EXPECT_EQ(errorOf({"--comm.compress=powersgd", "--output.checkpoint_mtbf_h=24"}), "");
}

TEST(Config, BadValuesAndUnknownKeysNameTheirSource) {
  EXPECT_NE(errorOf({"--train.batch_size=abc"}).find("train.batch_size"), std::string::npos);
  EXPECT_NE(errorOf({"--train.nonsense=1"}).find("command line"), std::string::npos);
  const auto path = writeIni("[train]\nbatchsize = 3\n");
  const std::string error = errorOf({"--config", path});
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("train.batchsize"), std::string::npos) << error;
  EXPECT_EQ(errorOf({"--config", "/nonexistent/x.ini"}), "--config: cannot open '/nonexistent/x.ini'");
  // Found trying bad input: a directory opened as an empty file and training ran on the defaults.
  EXPECT_EQ(errorOf({"--config", ::testing::TempDir()}),
            "--config: '" + ::testing::TempDir() + "' is a directory, expected an INI file");
}

TEST(Config, HelpListsEveryOptionWithDefault) {
  const auto parsed = parse({"--help"});
  ASSERT_TRUE(parsed.help_requested);
  for (const auto& [name, value] : parsed.config.entries()) {
    if (name == "config") continue;
    EXPECT_NE(parsed.help_text.find("--" + name), std::string::npos) << name;
  }
  EXPECT_NE(parsed.help_text.find("(=64)"), std::string::npos);  // batch_size default
}

// --help marks each option declared to shape the trajectory, and only those.
TEST(Config, HelpMarksTheOptionsThatShapeTheTrajectory) {
  const std::string help = parse({"--help"}).help_text;
  const auto descriptionOf = [&](const std::string& option) {
    const auto begin = help.find("--" + option + " ");
    EXPECT_NE(begin, std::string::npos) << option;
    return help.substr(begin, help.find("\n  --", begin + 1) - begin);
  };
  size_t marks = 0;
  for (size_t at = help.find("[trajectory]"); at != std::string::npos; at = help.find("[trajectory]", at + 1)) ++marks;
  EXPECT_EQ(marks, gan::Config::trajectoryOptions().size());
  EXPECT_NE(descriptionOf("train.seed").find("[trajectory]"), std::string::npos) << descriptionOf("train.seed");
  EXPECT_NE(descriptionOf("train.loss").find("[trajectory]"), std::string::npos) << descriptionOf("train.loss");
  EXPECT_EQ(descriptionOf("output.log_every").find("[trajectory]"), std::string::npos);
  EXPECT_EQ(descriptionOf("train.batch_size").find("[trajectory]"), std::string::npos);
}

TEST(Config, EffectiveTableShowsOverrides) {
  const auto table = gan::formatConfigTable(parse({"--train.max_steps=77"}).config);
  EXPECT_NE(table.find("train.max_steps"), std::string::npos);
  EXPECT_NE(table.find("77"), std::string::npos);
}

// Found by the fuzzer: Boost's error message for a bad value loops forever when the value holds
// one of its own placeholders. Refused up front, promptly, naming the file and line.
TEST(Config, PlaceholderTextIsRefusedInsteadOfHangingBoost) {
  const auto path = writeIni("[train]\nbatch_size = argument ('%value%')\n");
  EXPECT_EQ(errorOf({"--config", path}), path + ": line 2 contains '%value%', which is not allowed in an option name "
                                                "or value");
  EXPECT_EQ(errorOf({"--train.seed=%value%"}),
            "command line: argument 1 contains '%value%', which is not allowed in an option name or value");
  // The second finding: a line that is no option, holding the syntax error's own placeholder.
  const auto invalid = writeIni("%opeval%\n%invalid_line%'%val\n");
  EXPECT_EQ(errorOf({"--config", invalid}), invalid + ": line 2 contains '%invalid_line%', which is not allowed in an "
                                                      "option name or value");
}

}  // namespace


namespace {
// Every value of an enumerated option has one name, the names differ, and name -> value -> name
// round-trips; an unknown name is refused naming the option and listing the choices.
template <typename Enum>
void expectOneNamePerValue(const std::string& option) {
  std::vector<std::string> seen;
  for (const auto& [value, name] : gan::OptionNames<Enum>::table) {
    EXPECT_EQ(gan::optionName(value), std::string(name)) << option;
    EXPECT_EQ(gan::parseOptionValue<Enum>(name, option), value) << option << " " << name;
    for (const auto& earlier : seen) EXPECT_NE(earlier, name) << option;
    seen.push_back(name);
  }
  const auto message = gan::test_support::errorMessageOf([&] { gan::parseOptionValue<Enum>("no-such", option); });
  EXPECT_EQ(message, option + " must be one of " + gan::optionChoices<Enum>() + ", got 'no-such'");
}
}  // namespace

TEST(OptionValues, EachEnumeratedOptionHasOneNameTable) {
  expectOneNamePerValue<gan::DataSetName>("--data.name");
  expectOneNamePerValue<gan::PackedColor>("--data.color");
  expectOneNamePerValue<gan::SquareFit>("--data.fit");
  expectOneNamePerValue<gan::ModelArch>("--model.arch");
  expectOneNamePerValue<gan::BatchNormPolicy>("--model.batchnorm");
  expectOneNamePerValue<gan::GanLoss>("--train.loss");
  expectOneNamePerValue<gan::DeviceChoice>("--train.device");
  expectOneNamePerValue<gan::BackendChoice>("--comm.backend");
  expectOneNamePerValue<gan::GradientCompression>("--comm.compress");
  expectOneNamePerValue<gan::ResumeChanges>("--output.resume_changes");
  expectOneNamePerValue<gan::FolderLabels>("--labels");
  EXPECT_EQ(gan::optionChoices<gan::GradientCompression>(), "none | bf16 | fp16 | powersgd");
}

// The help text lists each enumerated option's choices from its table; the effective table and
// the parsed value agree with the name given.
TEST(OptionValues, HelpAndTableUseTheNames) {
  // Boost wraps long descriptions: compare with the white space folded.
  std::string help;
  for (char c : parse({"--help"}).help_text) {
    const bool space = c == ' ' || c == '\n';
    if (!space || (!help.empty() && help.back() != ' ')) help += space ? ' ' : c;
  }
  EXPECT_NE(help.find("[" + gan::optionChoices<gan::GanLoss>() + "]"), std::string::npos) << help;
  const auto parsed = parse({"--train.loss=wgan-gp", "--comm.compress=bf16"}).config;
  EXPECT_EQ(parsed.train.loss, gan::GanLoss::WganGp);
  EXPECT_EQ(parsed.comm.compress, gan::GradientCompression::BFloat16);
  const auto table = gan::formatConfigTable(parsed);
  EXPECT_NE(table.find("wgan-gp"), std::string::npos) << table;
  EXPECT_NE(table.find("bf16"), std::string::npos) << table;
}
