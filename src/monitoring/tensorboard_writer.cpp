#include "monitoring/tensorboard_writer.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/error.h"
#include "monitoring/tensorboard_event.pb.h"
#include "monitoring/tfrecord.h"

namespace gan::monitoring {
namespace {
double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& directory) {
  std::filesystem::create_directories(directory);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  path_ = (std::filesystem::path(directory) / ("events.out.tfevents." + std::to_string(int64_t(wallSeconds())) + "." +
                                               host + "." + std::to_string(getpid())))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  GAN_CHECK(out_, path_, ": cannot create TensorBoard event file");
  tensorboard::Event event;
  event.set_wall_time(wallSeconds());
  event.set_file_version("brain.Event:2");  // what TensorBoard expects as the first record
  writeEvent(event.SerializeAsString());
  flush();
}

void TensorBoardWriter::writeEvent(const std::string& serialized) {
  writeRecord(out_, serialized);
  GAN_CHECK(out_, path_, ": write failed");
}

void TensorBoardWriter::addScalar(const std::string& tag, int64_t step, double value) {
  tensorboard::Event event;
  event.set_wall_time(wallSeconds());
  event.set_step(step);
  auto* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  entry->set_simple_value(static_cast<float>(value));
  writeEvent(event.SerializeAsString());
}

void TensorBoardWriter::addPng(const std::string& tag, int64_t step, const std::string& png, int height, int width,
                               int channels) {
  tensorboard::Event event;
  event.set_wall_time(wallSeconds());
  event.set_step(step);
  auto* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  auto* image = entry->mutable_image();
  image->set_height(height);
  image->set_width(width);
  image->set_colorspace(channels);
  image->set_encoded_image_string(png);
  writeEvent(event.SerializeAsString());
}

void TensorBoardWriter::flush() { out_.flush(); }

EventFileContents readEventFile(const std::string& path) {
  EventFileContents contents;
  for (const auto& record : readRecords(path)) {
    tensorboard::Event event;
    GAN_CHECK(event.ParseFromString(record), path, ": a record is not an Event protobuf");
    if (event.what_case() == tensorboard::Event::kFileVersion) contents.file_version = event.file_version();
    if (event.what_case() != tensorboard::Event::kSummary) continue;
    for (const auto& value : event.summary().value()) {
      if (value.value_case() == tensorboard::Summary::Value::kSimpleValue) {
        contents.scalars.push_back({value.tag(), event.step(), value.simple_value()});
      } else if (value.value_case() == tensorboard::Summary::Value::kImage) {
        contents.images.push_back({value.tag(), event.step(), value.image().height(), value.image().width(),
                                   value.image().encoded_image_string()});
      }
    }
  }
  return contents;
}

}  // namespace gan::monitoring
