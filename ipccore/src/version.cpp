#include "ipccore/version.h"

namespace ipccore {

const char* versionString()
{
    return IPCLAB_VERSION; // set from PROJECT_VERSION in ipccore/CMakeLists.txt
}

} // namespace ipccore
