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

std::vector<nlohmann::json> readJsonLines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    try {
      lines.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
    }
  }
  return lines;
}

}  // namespace gan
