// Reading one JSON Lines source into its entity's table: one JSON object per
// line, whose keys fill the entity's fields and whose arrays of objects fill
// its child lists. A line that is not a valid record is rejected whole,
// together with the rows nested in it.
#include <simdjson.h>

#include <chrono>
#include <cstring>

#include "loader/file_blocks.h"
#include "loader/internal.h"
#include "loader/jsonl_record.h"

namespace crm::load::internal {
namespace {

// The deepest nesting of arrays and objects a record may have. Deeper
// values would make the reader recurse too far.
constexpr size_t kMaxJsonDepth = 1000;

// The offset where a line's nesting passes kMaxJsonDepth, or npos.
size_t tooDeep(std::string_view line) {
  // Each level takes at least one byte, so a short line cannot be too deep;
  // this spares the scan on nearly every record.
  if (line.size() <= kMaxJsonDepth) return std::string_view::npos;
  size_t depth = 0;
  bool inString = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

bool isBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// The 1-based column of byte `offset`, in UTF-8 code points, as CSV columns
// count.
uint32_t columnAt(std::string_view line, size_t offset) {
  uint32_t column = 1;
  for (size_t i = 0; i < offset && i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80)
      ++column;
  }
  return column;
}

// Appends the rows of a valid record in order, so that each nested row's
// parent is already in its table; `appended` receives each row's index.
void appendRecord(const JsonRecord& record, uint32_t sourceIndex, uint32_t line,
                  std::vector<uint32_t>& appended) {
  appended.resize(record.count);
  for (size_t i = 0; i < record.count; ++i) {
    const PendingRow& pending = record.rows[i];
    EntityPlan& plan = *pending.layout->entity;
    auto row = static_cast<uint32_t>(plan.table->rowCount);
    appendRow(plan, pending.cells, pending.layout->bound);
    plan.origins.emplace_back(sourceIndex, line);
    appended[i] = row;
    if (pending.parent != kNoIndex) {
      plan.nestedParentRows.resize(row, UINT32_MAX);
      plan.nestedParentRows.push_back(appended[pending.parent]);
    }
  }
}

}  // namespace

void readJsonlSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                     const LoadOptions& options, Rejections& rejected) {
  auto started = std::chrono::steady_clock::now();
  SourceStats stats;
  stats.name = source.decl->name.text;
  stats.path = source.path;
  stats.entity = source.entity->entity->name.text;
  std::string where = "source `" + source.decl->name.text + "`";

  std::string error;
  // The file is read a block at a time. A line that crosses the end of a
  // block is read again from its start after the next refill.
  FileBlocks blocks(options.readBlockBytes, simdjson::SIMDJSON_PADDING);
  if (!blocks.open(source.path, error) || !blocks.refill(0, error)) {
    report.errors.push_back(where + ": cannot read '" + source.path + "': " + error);
    return;
  }
  std::deque<JsonLayout> layouts;
  if (!buildJsonLayouts(source, layouts, report))
    return;

  JsonRecordReader reader(source);
  JsonRecord record;
  JsonError problem;
  std::vector<uint32_t> appended;
  uint32_t lineNumber = 0;
  uint64_t consumedBefore = 0;  // bytes of the file before the buffer's data
  while (true) {
    std::string_view data = blocks.data();
    const char* end = data.data() + data.size();
    // The buffer has at least SIMDJSON_PADDING readable bytes past the
    // data, so every line is followed by that many.
    const char* allocationEnd = blocks.allocationEnd();
    const char* next = data.data();
    while (next < end) {
      const char* newline = static_cast<const char*>(std::memchr(next, '\n', end - next));
      if (newline == nullptr && !blocks.atEnd())
        break;  // the line goes on in the next block
      std::string_view line(next, (newline != nullptr ? newline : end) - next);
      next = newline != nullptr ? newline + 1 : end;
      ++lineNumber;
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      if (lineNumber == 1 && line.substr(0, 3) == "\xEF\xBB\xBF")
        line.remove_prefix(3);
      if (isBlank(line))
        continue;
      ++stats.records;
      // As for CSV: reserve the rows to come once, from the first lines.
      if (stats.records == kReserveSample) {
        reserveForFile(*source.entity, blocks.fileSize(),
                       static_cast<size_t>(consumedBefore + (next - data.data())));
      }

      if (size_t offset = tooDeep(line); offset != std::string_view::npos) {
        rejected.push_back({stats.name,
                            source.path + ":" + std::to_string(lineNumber) + ":" +
                                std::to_string(columnAt(line, offset)),
                            "", "JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                    " levels", std::string(line.substr(0, 200))});
        ++stats.rejected;
        continue;
      }
      auto capacity = static_cast<size_t>(allocationEnd - line.data());
      if (reader.read(line, capacity, layouts.front(), record, problem)) {
        fillRowNumber(source, record.rows[0].cells, layouts.front().bound, stats.records);
        appendRecord(record, sourceIndex, lineNumber, appended);
        ++stats.loaded;
        continue;
      }
      if (problem.unterminated && newline == nullptr) {
        problem.message =
            "invalid JSON: the file ends inside this object, so the last line is "
            "probably truncated";
      }
      rejected.push_back({stats.name,
                          source.path + ":" + std::to_string(lineNumber) + ":" +
                              std::to_string(columnAt(line, problem.offset)),
                          problem.field, problem.message, std::string(line)});
      ++stats.rejected;
    }
    if (blocks.atEnd() && next >= end)
      break;
    auto consumed = static_cast<size_t>(next - data.data());
    consumedBefore += consumed;
    if (!blocks.refill(consumed, error)) {
      report.errors.push_back(where + ": cannot read '" + source.path + "': " + error);
      return;
    }
  }
  stats.bytes = blocks.bytesRead();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.sources.push_back(stats);
}

}  // namespace crm::load::internal
