// medmask/replace_file.hpp: replacing a file the way the library replaces its own outputs, for a
// caller that has the library fill the new file by name (the CLI's `convert` recodes a copy of an
// archive, which it cannot write as a new archive). MaskArchive(path, OpenMode::kWrite) and every
// exporter already replace their output this way; use this only for a file made otherwise.
#pragma once

#include <functional>
#include <string>

namespace medmask {

// Calls write(temporary) with the name of a new, empty file next to target, unique to this call
// ("<target>.tmp.<pid>.<n>", created exclusively), which write fills or replaces by name. Then
// flushes it to disk, gives it the permissions of a new file (0666 less the umask), renames it
// over target and flushes the directory: readers see the old file or the complete new one. When
// write throws, or a step fails, target is left as it was, the temporary removed, and the
// exception passes on (IoError naming target, with the system's reason, for a failed step).
void replace_file(const std::string& target,
                  const std::function<void(const std::string& temporary)>& write);

}  // namespace medmask
