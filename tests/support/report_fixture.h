// A small run whose report has every view, the numbers its charts must
// show, and a reader for the numbers a report carries in its markup. The
// report's unit tests and its browser test share them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/report.h"
#include "run/prepare.h"
#include "run/run.h"

namespace crm::testing {

// The customer key, product key, category and source path that try to
// break out of the report's markup.
inline constexpr const char* kHostileCustomer = "c5<script>alert(1)</script>";
inline constexpr const char* kHostileProduct = "<img src=x onerror=alert(1)>";
inline constexpr const char* kHostileCategory = "Bakery & <Bread>";
inline constexpr const char* kHostileSourceFile = "products<&>.csv";

// Writes the script and its CSV files into `dir`, runs it on `engine` at
// 2024-05-01T12:00:00Z and builds its report.
struct ReportRun {
  ReportRun(const std::filesystem::path& dir, run::Engine engine);

  std::filesystem::path scriptPath;
  run::Prepared prepared;
  run::RunResult result;
  report::RunInfo info;
  std::string html;
  std::string problem;  // why the run failed; empty when it ran
};

// Counts keyed by (data-label, data-series).
using ChartValues = std::map<std::pair<std::string, std::string>, int64_t>;

// The id of each chart of the report (without `chart-`) and the numbers it
// must carry, worked out by hand from the script and its data.
std::vector<std::pair<std::string, ChartValues>> expectedCharts();

// A start tag: its name and attributes, with character references decoded.
struct Tag {
  std::string name;
  std::map<std::string, std::string> attributes;
};

// Decodes the character references an HTML serializer writes: &amp; &lt;
// &gt; &quot; &apos; &nbsp; and numeric ones.
std::string unescapeHtml(std::string_view text);

// The start tags from the element with `id` up to its end tag, the element
// itself first; empty when no element has that id. Same-named elements
// must not nest inside it.
std::vector<Tag> tagsWithin(const std::string& html, const std::string& id);

// The data-value of every tag within the element with `id`, by data-label
// and data-series.
ChartValues dataValues(const std::string& html, const std::string& id);

}  // namespace crm::testing
