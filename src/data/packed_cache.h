// The data-set cache: packed copies (packed_file.h) of data sets that are not packed files
// themselves (MNIST-format and CIFAR-10 files, image folders), made on first use and then
// memory-mapped by every rank, so that a node holds one copy in its page cache instead of one
// private copy per rank. A copy is named by a hash of everything it was made from (the source
// files' paths, sizes and modification times, the packing options, the format version): a
// changed source makes a new copy, and the folder can be deleted at any time.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace gan::data {

// $XDG_CACHE_HOME/gan_dist, else $HOME/.cache/gan_dist, else the account's home directory's
// .cache/gan_dist; never a shared path. Throws naming --data.cache_dir when there is none.
std::string defaultCacheDirectory();

// "path size mtime" of `path` (canonical), for a cache recipe. Throws naming the file if absent.
std::string fileIdentity(const std::string& path);

// The packed copy for `recipe` in `cache_dir` ("" = the default), named `<stem>-<hash>.gpk`; when
// it is not there yet, `pack(path)` makes it. Processes of one node serialise on a lock file, so
// one packs and the others wait and then map its result; the packer's start-up buffers are
// returned to the system afterwards. Throws gan::Error naming --data.cache_dir when the folder
// cannot be used.
std::string cachedPackedFile(const std::string& cache_dir, const std::string& stem, const std::string& recipe,
                             const std::function<void(const std::string&)>& pack);

}  // namespace gan::data
