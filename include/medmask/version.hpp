// medmask/version.hpp: library version.
#pragma once

#define MEDMASK_VERSION_MAJOR 0
#define MEDMASK_VERSION_MINOR 2
#define MEDMASK_VERSION_PATCH 0
#define MEDMASK_VERSION_STRING "0.2.0"
