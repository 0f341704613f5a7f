#include "fuzz/loader_fuzz.h"

#include <map>
#include <memory>
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "loader/loader.h"

namespace crm::fuzz {

int loadInput(const LoaderTarget& target, const uint8_t* data, size_t size) {
  // One compilation per target, reused by every input.
  static std::map<std::string, std::unique_ptr<driver::Compilation>> compilations;
  auto& compilation = compilations[target.script];
  if (compilation == nullptr) compilation = checkFixedScript("schema.crm", target.script);

  std::vector<std::string_view> pieces = splitInput(data, size, target.files.size());
  for (size_t i = 0; i < target.files.size(); ++i) writeScratchFile(target.files[i], pieces[i]);

  load::LoadOptions options;
  options.maxBadRecords = 1000000;
  options.rejectsPath = scratchFolder() + "/rejects.csv";
  load::LoadResult result =
      load::loadProgram(scriptsOf(*compilation), compilation->sources, options);
  std::ostringstream report;
  load::printReport(report, result.report);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& source : result.report.sources) {
    if (source.loaded + source.rejected != source.records) {
      fail("source `" + source.name + "` read " + std::to_string(source.records) +
               " records but loaded " + std::to_string(source.loaded) + " and rejected " +
               std::to_string(source.rejected),
           input);
    }
  }
  if (result.report.ok() && result.store == nullptr) fail("a load that passed has no store", input);
  return 0;
}

}  // namespace crm::fuzz
