// medmask/medmask.hpp: the whole public API in one include.
#pragma once

#include "medmask/archive.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"
#include "medmask/export.hpp"
#include "medmask/import.hpp"
#include "medmask/known_labels.hpp"
#include "medmask/label_files.hpp"
#include "medmask/label_table.hpp"
#include "medmask/mask.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"
#include "medmask/space.hpp"
#include "medmask/version.hpp"
#include "medmask/volume.hpp"
