#pragma once

// Private: one command-line argument as the CLI's commands read it. "--watch=1" is taken as "--watch" with the value
// "1" attached, as most tools allow; anything else is kept whole.

#include <optional>
#include <string>

namespace ipccore::detail {

struct CliArg {
    std::string name; // "--watch", "-h", "/jobs"
    std::optional<std::string> attached; // "1" of "--watch=1"
};

inline CliArg splitCliArg(const char* text)
{
    CliArg arg { text, std::nullopt };
    if (const auto eq = arg.name.find('='); arg.name.rfind("--", 0) == 0 && eq != std::string::npos) {
        arg.attached = arg.name.substr(eq + 1);
        arg.name.resize(eq);
    }
    return arg;
}

// " (did you mean --json?)" for an option that starts like it ("--jsn"), "" otherwise.
inline std::string didYouMeanJson(const std::string& option)
{
    return option.rfind("--j", 0) == 0 ? " (did you mean --json?)" : "";
}

} // namespace ipccore::detail
