// Shared pieces of the fuzz targets: a scratch folder per process, and a
// fixed script checked once, whose sources the loader targets point at the
// fuzzer's input.
//
// Each target defines LLVMFuzzerTestOneInput. Built with clang and
// -fsanitize=fuzzer (scripts/fuzz.sh), libFuzzer drives it; built as part of
// the normal build, replay_main.cpp runs it over the seed and regression
// inputs, so every finding stays a test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/driver/driver.h"

namespace crm::fuzz {

// A folder for this process's files, created on first use and removed at
// exit.
const std::string& scratchFolder();

// Writes `bytes` to `name` in the scratch folder and returns its path.
std::string writeScratchFile(const std::string& name, std::string_view bytes);

// The input split at its NUL bytes into at most `parts` pieces; the last
// piece keeps any further NUL bytes. Missing pieces are empty.
std::vector<std::string_view> splitInput(const uint8_t* data, size_t size, size_t parts);

// Checks `script` (written to the scratch folder as `name`) and aborts when
// it does not check: the targets' fixed scripts must be valid.
std::unique_ptr<driver::Compilation> checkFixedScript(const std::string& name,
                                                      const std::string& script);

// The checked scripts of `compilation`, as loadProgram takes them.
std::vector<const ast::Script*> scriptsOf(const driver::Compilation& compilation);

// A finding: prints `what` with the input and aborts, so that libFuzzer
// saves the input and the replay test fails.
[[noreturn]] void fail(const std::string& what, std::string_view input);

}  // namespace crm::fuzz
