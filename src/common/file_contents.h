// Whole-file reads for the small files gan_dist writes and reads back (manifests, state.json,
// PNGs embedded in the report).
#pragma once

#include <string>

namespace gan {

// The bytes of `path`; throws gan::Error naming the file when it cannot be opened.
std::string readFileContents(const std::string& path);

}  // namespace gan
