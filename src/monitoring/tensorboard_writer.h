// TensorBoard event files: scalars and PNG images, written by rank 0 under OUT/tb/.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace gan::monitoring {

class TensorBoardWriter {
 public:
  // Creates `directory` and a new events.out.tfevents.<time>.<host>.<pid> file in it.
  explicit TensorBoardWriter(const std::string& directory);
  void addScalar(const std::string& tag, int64_t step, double value);
  void addPng(const std::string& tag, int64_t step, const std::string& png, int height, int width, int channels);
  // Makes what was written so far visible to readers (TensorBoard reads files as they grow).
  void flush();
  const std::string& path() const { return path_; }

 private:
  void writeEvent(const std::string& serialized);
  std::string path_;
  std::ofstream out_;
};

// What a reader finds in an event file (used by tests and gan_report).
struct EventFileContents {
  std::string file_version;
  struct Scalar {
    std::string tag;
    int64_t step;
    double value;
  };
  struct Image {
    std::string tag;
    int64_t step;
    int height, width;
    std::string png;
  };
  std::vector<Scalar> scalars;
  std::vector<Image> images;
};
EventFileContents readEventFile(const std::string& path);

}  // namespace gan::monitoring
