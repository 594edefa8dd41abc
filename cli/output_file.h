// Writing an output file so that nobody ever sees it half-written: the text
// goes to a temporary file in the target's directory, which is flushed to
// disk (fsync) and renamed over the target, and the directory is synced.
// SIGINT, SIGTERM, SIGHUP and SIGQUIT are held back from the creation of the
// temporary file to the rename, then delivered: an interrupted run leaves the
// old file or the complete new one, and no temporary file. Any failure
// removes the temporary file and leaves the target as it was. Only SIGKILL or
// a crash of the machine can leave a temporary file (named
// TARGET.netpolc-tmp-PID), never a partial target.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace netpolc {

// Writes `text` to `path` as above. A target that exists and is not a regular
// file (/dev/null, a FIFO) is written directly. Returns what went wrong
// ("cannot create a temporary file beside it: Permission denied"), or nullopt.
std::optional<std::string> write_file_atomically(const std::string& path, std::string_view text);

}  // namespace netpolc
