#include "checkpoint/format/durable_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"

namespace gan::checkpoint {

namespace fs = std::filesystem;

void fsyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  GAN_CHECK(fd >= 0, path.string(), ": cannot open to flush (", std::strerror(errno), ")");
  const int rc = ::fsync(fd);
  const int fsync_errno = errno;
  const int closed = ::close(fd);
  GAN_CHECK(rc == 0 && closed == 0, path.string(), ": fsync failed (", std::strerror(rc != 0 ? fsync_errno : errno), ")");
}

void writeFileChecked(const fs::path& path, const std::string& bytes) {
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  GAN_CHECK(out, path.string(), ": cannot create (", std::strerror(errno), ")");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  out.close();
  GAN_CHECK(out, path.string(), ": write failed (", errno != 0 ? std::strerror(errno) : "stream error", ")");
}

uint32_t crc32Of(const std::string& bytes) {
  // crc32_z takes a size_t length: checkpoint files may exceed 4 GiB.
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

}  // namespace gan::checkpoint
