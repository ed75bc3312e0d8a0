#include "data/packed_cache.h"

#include <fcntl.h>
#include <malloc.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/environment.h"
#include "common/error.h"
#include "common/log.h"
#include "data/packed_file.h"

namespace gan::data {
namespace fs = std::filesystem;

namespace {
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

// An exclusive flock held for the object's lifetime (released by the kernel if the process dies).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : descriptor_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    GAN_CHECK(descriptor_ >= 0, "--data.cache_dir: cannot create ", path, " (", std::strerror(errno),
              "); set --data.cache_dir to a writable folder, or to none to read the data into memory");
    while (::flock(descriptor_, LOCK_EX) != 0) {
      GAN_CHECK(errno == EINTR, path, ": cannot lock (", std::strerror(errno), ")");
    }
  }
  ~FileLock() { ::close(descriptor_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int descriptor_;
};
}  // namespace

std::string defaultCacheDirectory() {
  if (const auto xdg = environmentValue("XDG_CACHE_HOME"); xdg && !xdg->empty()) return (fs::path(*xdg) / "gan_dist").string();
  if (const auto home = environmentValue("HOME"); home && !home->empty()) {
    return (fs::path(*home) / ".cache" / "gan_dist").string();
  }
  // No HOME (a bare batch environment): the account's home directory, never a fixed path in /tmp
  // that any other user could create first and fill.
  if (const passwd* account = ::getpwuid(::getuid()); account && account->pw_dir && *account->pw_dir) {
    return (fs::path(account->pw_dir) / ".cache" / "gan_dist").string();
  }
  GAN_FAIL("--data.cache_dir: HOME and XDG_CACHE_HOME are unset and user ", ::getuid(),
           " has no home directory; set --data.cache_dir=DIR (or none to read files into memory)");
}

std::string fileIdentity(const std::string& path) {
  std::error_code error;
  const fs::path canonical = fs::canonical(path, error);
  GAN_CHECK(!error, path, ": cannot read (", error.message(), ")");
  const auto size = fs::file_size(canonical, error);
  GAN_CHECK(!error, path, ": cannot read its size (", error.message(), ")");
  const auto modified = fs::last_write_time(canonical, error).time_since_epoch().count();
  return canonical.string() + " " + std::to_string(size) + " " + std::to_string(modified);
}

std::string cachedPackedFile(const std::string& cache_dir, const std::string& stem, const std::string& recipe,
                             const std::function<void(const std::string&)>& pack) {
  const fs::path directory = cache_dir.empty() ? fs::path(defaultCacheDirectory()) : fs::path(cache_dir);
  std::error_code error;
  fs::create_directories(directory, error);
  GAN_CHECK(!error && fs::is_directory(directory), "--data.cache_dir: cannot create ", directory.string(), " (",
            error ? error.message() : "not a folder",
            "); set --data.cache_dir to a writable folder, or to none to read the data into memory");
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(fnv1a(recipe + " format " + std::to_string(kPackedFormatVersion))));
  const fs::path file = directory / (stem + "-" + hash + ".gpk");
  if (fs::exists(file)) return file.string();
  FileLock lock(file.string() + ".lock");
  if (fs::exists(file)) return file.string();  // another process of this node packed it meanwhile
  logRankLine("packing the data set once into " + file.string() + " (later runs map it)");
  pack(file.string());
  // Packing inflates and decodes into buffers that this process, whose freed memory is otherwise
  // kept for speed (memory_tuning.h), would carry through training: give them back.
  ::malloc_trim(0);
  return file.string();
}

}  // namespace gan::data
