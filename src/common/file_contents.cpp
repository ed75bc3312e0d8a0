#include "common/file_contents.h"

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace gan {

std::string readFileContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAN_CHECK(in, path, ": cannot open");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace gan
