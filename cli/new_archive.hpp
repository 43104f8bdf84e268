// cli/new_archive.hpp: the archive a command writes to its output. MaskArchive's kWrite commit
// is the library's one atomic writer (a unique temporary next to the output, fsync of file and
// directory, rename), so the output is written in place, with no scratch file of the CLI's own.
// Only a command that fails midway needs care: the archive's destructor would commit what it
// holds so far, so NewArchive discards that instead; the output keeps what it held and no
// temporary is left.
#pragma once

#include <optional>
#include <string>

#include "medmask/archive.hpp"

namespace medmask::cli {

class NewArchive {
 public:
  NewArchive() = default;
  ~NewArchive() {
    if (archive_) archive_->discard();
  }
  NewArchive(const NewArchive&) = delete;
  NewArchive& operator=(const NewArchive&) = delete;

  // Starts the archive; nothing is written before commit().
  void create(const std::string& output, const Space& space, const WriteOptions& options) {
    archive_.emplace(output, OpenMode::kWrite, space, options);
  }
  MaskArchive& operator*() { return *archive_; }
  MaskArchive* operator->() { return &*archive_; }

  // Replaces the output with the archive and closes it; when this throws, the output is as it was.
  void commit() {
    archive_->commit();
    archive_.reset();
  }

 private:
  std::optional<MaskArchive> archive_;
};

}  // namespace medmask::cli
