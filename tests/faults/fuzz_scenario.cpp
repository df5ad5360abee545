// libFuzzer target for the scenario parser (clang only: configure with -DIPCLAB_FUZZ=ON, see the fuzz preset).
// Properties checked on every input:
//  - no crash, no sanitizer report, no exception escaping (parseScenario throws nothing);
//  - a rejection names what is wrong: a field path ("workers[2].rate: ..."), the JSON line and column, that
//    there is nothing in the input at all, or that it is larger than a scenario may be;
//  - an accepted scenario survives a round trip through scenarioToJson unchanged.
#include "ipccore/scenario.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = ipccore::parseScenario(text, "fuzz.json");
    if (!parsed) {
        const std::string message = parsed.error().message();
        const std::string& hint = parsed.error().hint;
        const bool namesWhere = hint.find("line ") != std::string::npos || hint.find(": ") != std::string::npos
            || hint.starts_with("The file is empty") || hint.find("at most 1 MiB") != std::string::npos;
        if (hint.empty() || !namesWhere) {
            std::fprintf(stderr, "rejection without a field or position: %s\n", message.c_str());
            std::abort();
        }
        return 0;
    }
    const std::string once = ipccore::scenarioToJson(*parsed);
    auto again = ipccore::parseScenario(once, "round-trip");
    if (!again || ipccore::scenarioToJson(*again) != once) {
        std::fprintf(stderr, "round trip changed the scenario:\n%s\n", once.c_str());
        std::abort();
    }
    return 0;
}
