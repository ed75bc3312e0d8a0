#include "monitoring/tfrecord.h"

#include <isa-l/crc.h>

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace gan::monitoring {
namespace {
void putLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
uint64_t getLittleEndian(const std::string& in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  return value;
}
}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  // ISA-L's iSCSI CRC is CRC-32C without the standard pre- and post-inversion.
  return crc32_iscsi(static_cast<unsigned char*>(const_cast<void*>(data)), static_cast<int>(size), 0xffffffffu) ^
         0xffffffffu;
}

uint32_t maskedCrc32c(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void writeRecord(std::ostream& out, const std::string& data) {
  std::string frame;
  putLittleEndian(frame, data.size(), 8);
  putLittleEndian(frame, maskedCrc32c(frame.data(), 8), 4);
  frame += data;
  putLittleEndian(frame, maskedCrc32c(data.data(), data.size()), 4);
  out.write(frame.data(), static_cast<std::streamsize>(frame.size()));
}

std::vector<std::string> readRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAN_CHECK(in, path, ": cannot open");
  std::ostringstream content;
  content << in.rdbuf();
  const std::string bytes = content.str();
  std::vector<std::string> records;
  size_t offset = 0;
  while (offset < bytes.size()) {
    GAN_CHECK(offset + 12 <= bytes.size(), path, ": truncated record header at byte ", offset);
    const uint64_t length = getLittleEndian(bytes, offset, 8);
    GAN_CHECK(getLittleEndian(bytes, offset + 8, 4) == maskedCrc32c(bytes.data() + offset, 8), path,
              ": length CRC mismatch at byte ", offset);
    GAN_CHECK(offset + 12 + length + 4 <= bytes.size(), path, ": truncated record at byte ", offset);
    std::string data = bytes.substr(offset + 12, length);
    GAN_CHECK(getLittleEndian(bytes, offset + 12 + length, 4) == maskedCrc32c(data.data(), data.size()), path,
              ": data CRC mismatch at byte ", offset);
    records.push_back(std::move(data));
    offset += 12 + length + 4;
  }
  return records;
}

}  // namespace gan::monitoring
