#pragma once

// Private: reading a small JSON file a user names (a scenario, a lesson) without trusting the path. Only a regular
// file is read: a FIFO, directory, device (/dev/zero) or socket is refused with what the path is, without blocking
// (opened O_NONBLOCK) and without reading more than `maxBytes` + 1 bytes, so neither a pipe without a writer nor an
// endless stream can hang the caller or fill its memory.

#include "ipccore/result.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace ipccore::detail {

// How the messages name the file and what to do instead: kind "scenario", listHint "run 'ipclab-cli list' for the
// bundled scenarios".
struct JsonFileWords {
    std::string kind;
    std::string listHint;
};

Result<std::string> readJsonFile(const std::string& path, std::size_t maxBytes, const JsonFileWords& words);
// The refusal of text longer than maxBytes (a file, or text already in memory).
Error jsonFileTooLarge(
    const std::string& source, const std::string& size, std::size_t maxBytes, const JsonFileWords& words);
// Parses JSON text; a syntax error is refused with its line and column, and valid syntax the parser still refuses
// (a number too large for a double) with what it is. Both name the file (`source`) and the kind.
Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& source, const JsonFileWords& words);
// A field the reader does not know, as a refusal names it: its path ("objects[0].colour") and why.
struct FieldProblem {
    std::string field;
    std::string why;
};
// The first key of `obj` not among `allowed`, with the known ones listed; nullopt when every key is known.
std::optional<FieldProblem> unknownField(
    const nlohmann::json& obj, const std::string& path, std::initializer_list<const char*> allowed);
// "1 MiB", "300 bytes".
std::string byteCountText(std::uint64_t bytes);

} // namespace ipccore::detail
