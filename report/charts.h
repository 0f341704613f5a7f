// SVG bar charts and HTML tables of counts, drawn as text. Each bar and
// each count cell carries its number for programs that read the report:
//
//   <rect class="bar" data-label="ROW" data-series="SERIES" data-value="N">
//   <td data-label="ROW" data-series="SERIES" data-value="N">
//
// and the capacity of a channel as `data-capacity` on a
// <rect class="capacity"> and on a table cell.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace crm::report {

// Counts with one row per label and one column per series. A chart draws
// each row as one bar, stacked by series.
struct Grid {
  std::string id;            // the chart is `chart-ID` and the table `table-ID`
  std::string title;         // the chart's accessible name
  std::string labelHeading;  // the heading of the label column, such as "segment"
  std::vector<std::string> labels;
  std::vector<std::string> series;
  std::vector<std::vector<uint64_t>> values;  // [label][series]

  // Adds a row of zeros and returns its index.
  size_t addRow(std::string label);
  uint64_t rowTotal(size_t row) const;
};

// The grid as a horizontal bar chart, with a legend when it has more than
// one series.
std::string barChart(const Grid& grid);

// The grid as a table, with a total column when it has more than one
// series.
std::string gridTable(const Grid& grid);

// A channel's messages in this run against its capacity.
struct CapacityUse {
  std::string channel;
  uint64_t granted = 0;
  int64_t capacity = -1;  // -1 is unlimited
  std::string period;     // of the capacity, such as "day"
};

// One bar per channel. A channel with a capacity gets a track that stands
// for it, filled in proportion to its messages. Channels without one have
// no track and share one scale.
std::string capacityChart(const std::vector<CapacityUse>& channels);
std::string capacityTable(const std::vector<CapacityUse>& channels);

}  // namespace crm::report
