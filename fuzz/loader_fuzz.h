// The shared body of the CSV and JSON Lines targets: the input, split at NUL
// bytes, becomes the files of a fixed script's sources, which are loaded
// with bad records tolerated and written to a rejects file. The loader must
// report every bad record, never crash, and account for every record: each
// one is loaded or rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace crm::fuzz {

struct LoaderTarget {
  std::string script;               // the schema and its sources
  std::vector<std::string> files;   // the files the sources read, in input order
};

int loadInput(const LoaderTarget& target, const uint8_t* data, size_t size);

}  // namespace crm::fuzz
