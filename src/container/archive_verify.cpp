// MaskArchive::verify_data: every stored byte checked, not only what reads happen to touch.
// Reads decode only the z-chunks inside a structure's bounding box, so a corrupt chunk elsewhere
// (or statistics that disagree with the voxels) stayed unseen until an append or compact()
// copied it; `medmask verify` calls this first.
#include "container/archive_impl.hpp"
#include "container/error_message.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {

void MaskArchive::verify_data() const {
  const Impl& s = *impl_;
  for (const container::ArchiveEntry& entry : s.entries.all()) {
    if (!entry.in_file) continue;  // pending: nothing stored yet
    // The whole section: its checksum, every chunk's checksum, and the decoded voxels.
    const LabelVolume volume = s.decode_entry(entry);
    const auto computed = compute_label_stats(volume);
    const container::EntryRecord& record = entry.record;
    for (const Label& label : record.labels) {
      const auto stored = record.stats.find(label.value);
      const auto actual = computed.find(label.value);
      const LabelStats none;
      const LabelStats& want = stored == record.stats.end() ? none : stored->second;
      const LabelStats& have = actual == computed.end() ? none : actual->second;
      if (want.voxels != have.voxels || (want.voxels > 0 && !(want == have))) {
        container::throw_at<FormatError>(
            s.path, "index stats of entry '" + record.name + "'", record.offset,
            "value " + std::to_string(label.value) + " ('" + label.name + "') is stored with " +
                std::to_string(want.voxels) + " voxels and its box; the data holds " +
                std::to_string(have.voxels) + " voxels");
      }
    }
  }
}

}  // namespace medmask
