#include "render/npy_writer.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace gan::render {

void writeNpy(const std::string& path, const torch::Tensor& values) {
  auto host = values.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::ostringstream shape;
  shape << "(";
  for (int64_t d = 0; d < host.dim(); ++d) shape << host.size(d) << (host.dim() == 1 || d + 1 < host.dim() ? ", " : "");
  shape << ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  // Magic (6) + version (2) + length (2) + header must be a multiple of 64, ending in '\n'.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    GAN_CHECK(out, temporary, ": cannot open for writing");
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t length = static_cast<uint16_t>(header.size());
    const char length_bytes[2] = {char(length & 0xff), char(length >> 8)};
    out.write(length_bytes, 2);
    out.write(header.data(), std::streamsize(header.size()));
    out.write(static_cast<const char*>(host.data_ptr()), std::streamsize(host.numel() * 4));
    GAN_CHECK(out, path, ": write failed");
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace gan::render
