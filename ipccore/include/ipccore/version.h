#pragma once

// The project's version (project(... VERSION) in the top CMakeLists.txt), for every binary's --version.

namespace ipccore {

const char* versionString(); // for example "0.1.0"

} // namespace ipccore
