// gan_data: turns a folder of images into a packed, memory-mappable data set, and inspects one.
//   gan_data pack --images DIR --out FILE [--resolution 64] [--color rgb] [--fit crop] ...
//   gan_data info FILE
// Training then reads it with --data.name=packed --data.path=FILE. No torch here: packing is
// decoding and resizing, and the tool starts instantly.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "common/error.h"
#include "data/dataset_packing.h"
#include "data/packed_file.h"

namespace po = boost::program_options;

namespace {

const char* const kUsage =
    "usage: gan_data pack --images DIR --out FILE [options]   (pack a folder of PNG/JPEG images)\n"
    "       gan_data info FILE                                 (check a packed file and describe it)\n";

// A progress bar on a terminal; on a log file, one line per tenth.
class ProgressBar {
 public:
  void operator()(size_t done, size_t total) {
    if (interactive_) {
      constexpr int kWidth = 40;
      const int filled = int(kWidth * done / total);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu images", std::string(size_t(filled), '#').c_str(),
                   std::string(size_t(kWidth - filled), '.').c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (done * 10 / total != reported_ * 10 / total || done == total) {
      std::fprintf(stderr, "packed %zu/%zu images\n", done, total);
    }
    reported_ = done;
  }

 private:
  bool interactive_ = ::isatty(2) == 1;
  size_t reported_ = 0;
};

int packCommand(const std::vector<std::string>& arguments) {
  std::string images, out, color, fit, background, labels, on_bad;
  int resolution = 64;
  po::options_description options("gan_data pack");
  options.add_options()("help", "this help")
      ("images", po::value(&images), "folder of .png/.jpg/.jpeg files (searched recursively)")
      ("out", po::value(&out), "packed file to write (atomically)")
      ("resolution", po::value(&resolution)->default_value(64), "side of the square images")
      ("color", po::value(&color)->default_value("rgb"), ("channels [" + gan::optionChoices<gan::PackedColor>() + "]").c_str())
      ("fit", po::value(&fit)->default_value("crop"),
       ("crop (centred square of the shorter side) or pad (whole image on a square of the longer side) [" +
        gan::optionChoices<gan::SquareFit>() + "]").c_str())
      ("background", po::value(&background)->default_value("white"),
       "white | black | #rrggbb: what transparency becomes when --color drops alpha")
      ("labels", po::value(&labels)->default_value("auto"),
       ("folders (class = first sub-folder), none, or auto (folders when every image is in a sub-folder) [" +
        gan::optionChoices<gan::FolderLabels>() + "]").c_str())
      ("on-bad-image", po::value(&on_bad)->default_value("skip"),
       "skip (report each bad file by name, pack the rest) | fail (stop at the first, write nothing)");
  po::variables_map vm;
  po::store(po::command_line_parser(arguments).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << kUsage << options;
    return 0;
  }
  GAN_CHECK(!images.empty(), "--images is required: the folder of images to pack");
  GAN_CHECK(!out.empty(), "--out is required: the packed file to write");
  GAN_CHECK(on_bad == "skip" || on_bad == "fail", "--on-bad-image must be skip | fail, got '", on_bad, "'");
  gan::data::FolderPackOptions pack;
  pack.conform.resolution = resolution;
  pack.conform.color = gan::parseOptionValue<gan::PackedColor>(color, "--color");
  pack.conform.fit = gan::parseOptionValue<gan::SquareFit>(fit, "--fit");
  gan::data::parseBackground(background, "--background", pack.conform.background);
  pack.labels = gan::parseOptionValue<gan::FolderLabels>(labels, "--labels");
  pack.skip_bad_images = on_bad == "skip";
  GAN_CHECK(resolution >= 1 && resolution <= 4096, "--resolution must be 1 to 4096, got ", resolution);

  if (const auto folder = std::filesystem::path(out).parent_path(); !folder.empty()) {
    std::filesystem::create_directories(folder);
  }
  ProgressBar progress;
  const auto report = gan::data::packImageFolder(images, out, pack, std::ref(progress));
  for (const auto& bad : report.skipped) std::fprintf(stderr, "skipped %s\n", bad.c_str());
  std::string classes;
  for (const auto& name : report.class_names) classes += " " + name;
  std::printf("packed %llu images of %dx%dx%d into %s; %zu bad files skipped, %zu other files ignored; %s%s\n",
              static_cast<unsigned long long>(report.packed), gan::data::channelCount(pack.conform.color), resolution,
              resolution, out.c_str(), report.skipped.size(), report.ignored_files,
              report.class_names.empty() ? "no labels" : (std::to_string(report.class_names.size()) + " classes:").c_str(),
              classes.c_str());
  return 0;
}

int infoCommand(const std::vector<std::string>& arguments) {
  GAN_CHECK(arguments.size() == 1, "gan_data info takes one packed file");
  const auto file = gan::data::PackedFile::open(arguments[0]);
  const auto& shape = file->shape();
  std::printf("%s: %llu images of %ux%ux%u, %llu bytes, checksum ok\n", file->path().c_str(),
              static_cast<unsigned long long>(file->count()), shape.channels, shape.height, shape.width,
              static_cast<unsigned long long>(file->fileBytes()));
  if (!file->hasLabels()) return 0;
  std::map<int32_t, uint64_t> per_class;
  for (uint64_t i = 0; i < file->count(); ++i) ++per_class[file->labels()[i]];
  for (size_t c = 0; c < file->classNames().size(); ++c) {
    std::printf("  class %zu %s: %llu images\n", c, file->classNames()[c].c_str(),
                static_cast<unsigned long long>(per_class[int32_t(c)]));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> arguments(argv + std::min(argc, 2), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "pack") return packCommand(arguments);
    if (command == "info") return infoCommand(arguments);
    if (command == "--help" || command == "-h" || command == "help") {
      std::printf("%s", kUsage);
      return 0;
    }
    std::fprintf(stderr, "gan_data: %s%s", command.empty() ? "no command given\n" : ("unknown command '" + command + "'\n").c_str(), kUsage);
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gan_data: error: %s\n", error.what());
    return 1;
  }
}
