// medmask/version.hpp: library version, the only place it is written (CMake and pyproject.toml
// read MEDMASK_VERSION_STRING from here).
#pragma once

#define MEDMASK_VERSION_MAJOR 0
#define MEDMASK_VERSION_MINOR 2
#define MEDMASK_VERSION_PATCH 0
#define MEDMASK_VERSION_STRING "0.2.0"
