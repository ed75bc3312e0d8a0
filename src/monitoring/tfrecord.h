// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length | uint32 masked CRC-32C of length | data | uint32 masked CRC-32C of data
// (little-endian). CRC-32C comes from Intel's ISA-L.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace gan::monitoring {

uint32_t crc32c(const void* data, size_t size);
// TensorFlow's masking, so that CRCs of data that itself contains CRCs stay well distributed.
uint32_t maskedCrc32c(const void* data, size_t size);

void writeRecord(std::ostream& out, const std::string& data);
// Every record of `path`; throws gan::Error naming the file and offset of a bad length or CRC.
std::vector<std::string> readRecords(const std::string& path);

}  // namespace gan::monitoring
