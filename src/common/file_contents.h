// Whole-file reads for the small files gan_dist writes and reads back (manifests, state.json,
// PNGs embedded in the report, the JSON lines of metrics.jsonl and stragglers.jsonl).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace gan {

// The bytes of `path`; throws gan::Error naming the file when it cannot be opened.
std::string readFileContents(const std::string& path);

// The lines of a JSON-lines file that parse (a torn last line from a crash is skipped), in order;
// none when the file is absent.
std::vector<nlohmann::json> readJsonLines(const std::string& path);

}  // namespace gan
