// dicom_seg_dataset.hpp (internal): small helpers over DCMTK's dcmdata shared by the SEG writer
// and reader, and the CIELab colour conversions of PS3.3 C.10.7.1.1.
#pragma once

#include <dcmtk/dcmdata/dctk.h>

#include <array>
#include <cstdint>
#include <string>

#include "medmask/label_table.hpp"

namespace medmask::io {

// Silences DCMTK's logger (called before any DCMTK use: the library never prints).
void quiet_dcmtk();

// Throws IoError (writing) / FormatError (reading) with what and the DCMTK status text.
void check_dcmtk(const OFCondition& status, const std::string& what, const std::string& path);

// Inserts tag = value (any string VR, multi-values joined by '\\'). Empty values are written
// empty (type 2 attributes).
void put_text(DcmItem& item, const DcmTagKey& tag, const std::string& value);
// Appends a new item to the sequence tag of item (creating the sequence) and returns it.
DcmItem& append_item(DcmItem& item, const DcmTagKey& sequence);
// A code sequence holding one item (CodingSchemeDesignator, CodeValue, CodeMeaning).
DcmItem& put_code(DcmItem& item, const DcmTagKey& sequence, const std::string& scheme,
                  const std::string& value, const std::string& meaning);

// A string attribute's text (all values joined by '\\'), empty when absent.
std::string get_text(DcmItem& item, const DcmTagKey& tag);

// sRGB (0..255) -> DICOM's scaled CIELab (D65 white): L*65535/100, (a*+128)*65535/255, ...
std::array<std::uint16_t, 3> rgb_to_dicom_lab(Rgb rgb);
Rgb dicom_lab_to_rgb(const std::array<std::uint16_t, 3>& lab);

// A new DICOM UID (DCMTK's generator under its site root).
std::string new_uid();

// A group's members in its segment item (DICOM SEG has no attribute for a union of segments):
// private creator (0071,0010) "MedMask", element (0071,1001) UT holding the names as a JSON list.
// Readers that do not know it skip it (PS3.5 7.8); MedMask's reader makes the segment a group
// again when its voxels are its members' union (docs/IMPORT_EXPORT.md).
inline constexpr const char* kMedmaskPrivateCreator = "MedMask";
inline const DcmTag kMedmaskCreatorTag{0x0071, 0x0010, EVR_LO};
inline const DcmTag kGroupMembersTag{0x0071, 0x1001, EVR_UT};

inline constexpr const char* kSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4";
inline constexpr const char* kLabelMapSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.7";

}  // namespace medmask::io
