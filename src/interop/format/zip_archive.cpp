#include "interop/format/zip_archive.h"

#include <zip.h>

#include <utility>

#include "common/error.h"

namespace gan::interop::format {
namespace {

std::string describe(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// A deflated record inflates to at most ~1032 times its compressed size; a directory that says
// more describes a record that is not there (or a bomb): refused before inflating.
constexpr uint64_t kMaxDeflateRatio = 1032;

}  // namespace

ZipArchive ZipArchive::openFile(const std::string& path) {
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &code);
  GAN_CHECK(archive != nullptr, path, ": not a zip archive as torch.save writes (", describe(code), ")");
  return ZipArchive(archive, path);
}

ZipArchive ZipArchive::fromBytes(std::string bytes, const std::string& source) {
  auto owned = std::make_unique<std::string>(std::move(bytes));
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* input = zip_source_buffer_create(owned->data(), owned->size(), 0, &error);
  zip_t* archive = input == nullptr ? nullptr : zip_open_from_source(input, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    const std::string what = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (input != nullptr) zip_source_free(input);
    GAN_FAIL(source, ": not a zip archive as torch.save writes (", what, ")");
  }
  zip_error_fini(&error);
  ZipArchive result(archive, source);
  result.bytes_ = std::move(owned);
  return result;
}

ZipArchive::ZipArchive(zip_t* archive, std::string source)
    : archive_(archive), source_(std::move(source)) {
  try {
    indexRecords();
  } catch (...) {
    zip_discard(archive_);
    archive_ = nullptr;
    throw;
  }
}

ZipArchive::ZipArchive(ZipArchive&& other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)),
      source_(std::move(other.source_)),
      bytes_(std::move(other.bytes_)),
      records_(std::move(other.records_)) {}

ZipArchive& ZipArchive::operator=(ZipArchive&& other) noexcept {
  if (this != &other) {
    if (archive_ != nullptr) zip_discard(archive_);
    archive_ = std::exchange(other.archive_, nullptr);
    source_ = std::move(other.source_);
    bytes_ = std::move(other.bytes_);
    records_ = std::move(other.records_);
  }
  return *this;
}

ZipArchive::~ZipArchive() {
  if (archive_ != nullptr) zip_discard(archive_);
}

// Every record's name under the common top folder, with its stated size, checked for
// plausibility against the compressed bytes that hold it.
void ZipArchive::indexRecords() {
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  GAN_CHECK(count > 0, source_, ": an empty zip archive (torch.save writes data.pkl and the tensors' data)");
  std::string top;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    GAN_CHECK(zip_stat_index(archive_, zip_uint64_t(i), 0, &stat) == 0, source_, ": unreadable zip entry ", i, " (",
              zip_strerror(archive_), ")");
    const zip_uint64_t needed = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    GAN_CHECK((stat.valid & needed) == needed, source_, ": zip entry ", i, " lacks its name or sizes");
    const std::string name = stat.name;
    const size_t slash = name.find('/');
    GAN_CHECK(slash != std::string::npos && slash > 0, source_, ": zip entry '", name.substr(0, 200),
              "' is not under a top folder (torch.save puts every record under one)");
    if (top.empty()) top = name.substr(0, slash);
    GAN_CHECK(name.compare(0, slash, top) == 0 && slash == top.size(), source_, ": zip entries under two top folders ('",
              top.substr(0, 100), "' and '", name.substr(0, std::min<size_t>(slash, 100)), "')");
    if (stat.comp_method == ZIP_CM_STORE) {
      GAN_CHECK(stat.size == stat.comp_size, source_, ": zip entry '", name.substr(0, 200),
                "' is stored but states two sizes");
    } else {
      GAN_CHECK(stat.size / kMaxDeflateRatio <= stat.comp_size, source_, ": zip entry '", name.substr(0, 200),
                "' states ", stat.size, " bytes inflated from ", stat.comp_size, " (impossible)");
    }
    const std::string record = name.substr(slash + 1);
    if (record.empty() || record.back() == '/') continue;  // a folder entry
    GAN_CHECK(records_.emplace(record, Entry{zip_uint64_t(i), stat.size}).second, source_, ": zip record '",
              record.substr(0, 200), "' appears twice");
  }
}

bool ZipArchive::has(const std::string& record) const { return records_.count(record) > 0; }

const ZipArchive::Entry& ZipArchive::entry(const std::string& record) const {
  const auto it = records_.find(record);
  GAN_CHECK(it != records_.end(), source_, ": the archive has no record ", record, " (truncated or damaged file)");
  return it->second;
}

uint64_t ZipArchive::size(const std::string& record) const { return entry(record).size; }

std::string ZipArchive::read(const std::string& record, uint64_t max_bytes) const {
  const Entry& found = entry(record);
  GAN_CHECK(found.size <= max_bytes, source_, ": record ", record, " states ", found.size, " bytes, more than the ",
            max_bytes, " it may hold");
  zip_file_t* file = zip_fopen_index(archive_, found.index, 0);
  GAN_CHECK(file != nullptr, source_, ": cannot read record ", record, " (", zip_strerror(archive_), ")");
  std::string bytes(found.size, '\0');
  const zip_int64_t got = found.size == 0 ? 0 : zip_fread(file, bytes.data(), found.size);
  char extra = 0;
  // One byte more must not come: the record is exactly as long as stated. Reading to the end
  // also makes libzip check the CRC.
  const zip_int64_t more = got == zip_int64_t(found.size) ? zip_fread(file, &extra, 1) : 0;
  const std::string what = zip_error_strerror(zip_file_get_error(file));
  const int closed = zip_fclose(file);
  GAN_CHECK(got == zip_int64_t(found.size) && more == 0 && closed == 0, source_, ": record ", record,
            " is damaged (", got < 0 || more < 0 ? what : closed != 0 ? describe(closed) : "not the stated size", ")");
  return bytes;
}

}  // namespace gan::interop::format
