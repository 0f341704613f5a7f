#include "report/charts.h"

#include <algorithm>
#include <cstdio>

#include "report/html.h"

namespace crm::report {
namespace {

constexpr int kWidth = 760;
constexpr int kLabelWidth = 210;  // left of the bars
constexpr int kValueWidth = 140;  // right of the longest bar, for its number
constexpr int kBarArea = kWidth - kLabelWidth - kValueWidth;
constexpr int kRowHeight = 24;
constexpr int kBarHeight = 16;
constexpr int kTop = 6;
constexpr size_t kLabelCodePoints = 30;

// Ten colours of distinct hues; series past the tenth repeat them.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

const char* colour(size_t series) {
  return kPalette[series % std::size(kPalette)];
}

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", x);
  return text;
}

std::string attribute(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + escapeHtml(value) + "\"";
}

std::string svgStart(const std::string& id, const std::string& title, int height) {
  std::string h = std::to_string(height);
  return "<svg id=\"chart-" + escapeHtml(id) + "\" class=\"chart\" role=\"img\"" +
         attribute("aria-label", title) + " width=\"" + std::to_string(kWidth) + "\" height=\"" +
         h + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + h + "\">\n";
}

std::string rowLabel(const std::string& label, int y) {
  return "<text class=\"label\" x=\"" + std::to_string(kLabelWidth - 8) + "\" y=\"" +
         std::to_string(y + 13) + "\" text-anchor=\"end\">" +
         escapeHtml(shortened(label, kLabelCodePoints)) + "</text>";
}

std::string valueText(const std::string& text, double x, int y) {
  return "<text class=\"value\" x=\"" + number(x + 6) + "\" y=\"" + std::to_string(y + 13) + "\">" +
         escapeHtml(text) + "</text>";
}

// The legend below the bars, wrapped into lines; returns its height.
int legend(const std::vector<std::string>& series, int top, std::string& svg) {
  int x = kLabelWidth;
  int y = top;
  for (size_t s = 0; s < series.size(); ++s) {
    std::string text = shortened(series[s], kLabelCodePoints);
    int width = 18 + 7 * static_cast<int>(text.size()) + 14;
    if (x + width > kWidth && x > kLabelWidth) {
      x = kLabelWidth;
      y += 18;
    }
    svg += "<g class=\"legend\"><rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) +
           "\" width=\"11\" height=\"11\" fill=\"" + colour(s) + "\"/><text x=\"" +
           std::to_string(x + 16) + "\" y=\"" + std::to_string(y + 10) + "\">" + escapeHtml(text) +
           "<title>" + escapeHtml(series[s]) + "</title></text></g>\n";
    x += width;
  }
  return y - top + 18;
}

// One legend line per few series, to size the drawing before it is drawn.
int legendHeight(const std::vector<std::string>& series) {
  std::string ignored;
  return legend(series, 0, ignored);
}

}  // namespace

size_t Grid::addRow(std::string label) {
  labels.push_back(std::move(label));
  values.emplace_back(series.size(), 0);
  return labels.size() - 1;
}

uint64_t Grid::rowTotal(size_t row) const {
  uint64_t total = 0;
  for (uint64_t value : values[row])
    total += value;
  return total;
}

std::string barChart(const Grid& grid) {
  bool stacked = grid.series.size() > 1;
  uint64_t maximum = 1;
  for (size_t row = 0; row < grid.labels.size(); ++row) {
    maximum = std::max(maximum, grid.rowTotal(row));
  }
  int barsHeight = kTop + static_cast<int>(grid.labels.size()) * kRowHeight;
  int height = barsHeight + (stacked ? 8 + legendHeight(grid.series) : 4);
  std::string svg = svgStart(grid.id, grid.title, height);
  for (size_t row = 0; row < grid.labels.size(); ++row) {
    int y = kTop + static_cast<int>(row) * kRowHeight;
    uint64_t total = grid.rowTotal(row);
    svg += "<g class=\"row\"><title>" + escapeHtml(grid.labels[row]) + ": " + grouped(total) +
           "</title>" + rowLabel(grid.labels[row], y) + "\n";
    double x = kLabelWidth;
    for (size_t s = 0; s < grid.series.size(); ++s) {
      uint64_t value = grid.values[row][s];
      double width = static_cast<double>(value) * kBarArea / static_cast<double>(maximum);
      svg += "<rect class=\"bar\" x=\"" + number(x) + "\" y=\"" + std::to_string(y + 2) +
             "\" width=\"" + number(width) + "\" height=\"" + std::to_string(kBarHeight) +
             "\" fill=\"" + colour(s) + "\"" + attribute("data-label", grid.labels[row]) +
             attribute("data-series", grid.series[s]) + " data-value=\"" + std::to_string(value) +
             "\"><title>" + escapeHtml(grid.labels[row]) +
             (stacked ? ", " + escapeHtml(grid.series[s]) : "") + ": " + grouped(value) +
             "</title></rect>\n";
      x += width;
    }
    svg += valueText(grouped(total), x, y) + "</g>\n";
  }
  if (stacked)
    legend(grid.series, barsHeight + 8, svg);
  return svg + "</svg>\n";
}

std::string gridTable(const Grid& grid) {
  bool stacked = grid.series.size() > 1;
  std::string html = "<table id=\"table-" + escapeHtml(grid.id) +
                     "\" class=\"data\">\n<thead><tr><th>" + escapeHtml(grid.labelHeading) +
                     "</th>";
  for (const auto& series : grid.series)
    html += "<th class=\"num\">" + escapeHtml(series) + "</th>";
  if (stacked)
    html += "<th class=\"num\">total</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (size_t row = 0; row < grid.labels.size(); ++row) {
    html += "<tr><th scope=\"row\">" + escapeHtml(grid.labels[row]) + "</th>";
    for (size_t s = 0; s < grid.series.size(); ++s) {
      uint64_t value = grid.values[row][s];
      html += "<td class=\"num\"" + attribute("data-label", grid.labels[row]) +
              attribute("data-series", grid.series[s]) + " data-value=\"" + std::to_string(value) +
              "\">" + grouped(value) + "</td>";
    }
    if (stacked)
      html += "<td class=\"num total\">" + grouped(grid.rowTotal(row)) + "</td>";
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

std::string capacityChart(const std::vector<CapacityUse>& channels) {
  // A channel with a capacity has a track as long as the bar area, which
  // its messages fill in proportion (at most whole: a run's messages can
  // span several periods). Channels without one share a scale of their own.
  uint64_t unlimitedMaximum = 1;
  for (const auto& use : channels) {
    if (use.capacity < 0)
      unlimitedMaximum = std::max(unlimitedMaximum, use.granted);
  }
  int height = kTop + static_cast<int>(channels.size()) * kRowHeight + 4;
  std::string svg = svgStart("capacity", "Messages per channel against its capacity", height);
  for (size_t row = 0; row < channels.size(); ++row) {
    const CapacityUse& use = channels[row];
    int y = kTop + static_cast<int>(row) * kRowHeight;
    std::string limit = use.capacity < 0
                            ? "unlimited"
                            : grouped(static_cast<uint64_t>(use.capacity)) + " per " + use.period;
    svg += "<g class=\"row\"><title>" + escapeHtml(use.channel) + ": " + grouped(use.granted) +
           " messages, capacity " + escapeHtml(limit) + "</title>" + rowLabel(use.channel, y) +
           "\n";
    double fill = 0;
    double end = kLabelWidth;
    if (use.capacity >= 0) {
      svg += "<rect class=\"capacity\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" +
             std::to_string(y + 2) + "\" width=\"" + std::to_string(kBarArea) + "\" height=\"" +
             std::to_string(kBarHeight) + "\"" + attribute("data-label", use.channel) +
             " data-capacity=\"" + std::to_string(use.capacity) + "\"/>\n";
      double share = use.capacity == 0
                         ? (use.granted > 0 ? 1.0 : 0.0)
                         : static_cast<double>(use.granted) / static_cast<double>(use.capacity);
      fill = std::min(share, 1.0) * kBarArea;
      end = kLabelWidth + kBarArea;
    } else {
      fill = static_cast<double>(use.granted) * kBarArea / static_cast<double>(unlimitedMaximum);
      end = kLabelWidth + fill;
    }
    svg += "<rect class=\"bar\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" +
           std::to_string(y + 5) + "\" width=\"" + number(fill) + "\" height=\"" +
           std::to_string(kBarHeight - 6) + "\" fill=\"" + colour(0) + "\"" +
           attribute("data-label", use.channel) + " data-series=\"messages\" data-value=\"" +
           std::to_string(use.granted) + "\"/>\n";
    svg += valueText(grouped(use.granted) + (use.capacity < 0 ? " (unlimited)" : " / " + limit),
                     end, y) +
           "</g>\n";
  }
  return svg + "</svg>\n";
}

std::string capacityTable(const std::vector<CapacityUse>& channels) {
  std::string html =
      "<table id=\"table-capacity\" class=\"data\">\n<thead><tr><th>channel</th>"
      "<th class=\"num\">messages</th><th class=\"num\">capacity</th><th>per</th>"
      "<th class=\"num\">use</th></tr></thead>\n<tbody>\n";
  for (const auto& use : channels) {
    html += "<tr><th scope=\"row\">" + escapeHtml(use.channel) + "</th><td class=\"num\"" +
            attribute("data-label", use.channel) + " data-series=\"messages\" data-value=\"" +
            std::to_string(use.granted) + "\">" + grouped(use.granted) + "</td>";
    if (use.capacity < 0) {
      html += "<td class=\"num\">unlimited</td><td></td><td class=\"num\"></td>";
    } else {
      std::string share = use.capacity == 0 ? "–"
                                            : number(100.0 * static_cast<double>(use.granted) /
                                                     static_cast<double>(use.capacity)) +
                                                  " %";
      html += "<td class=\"num\"" + attribute("data-label", use.channel) + " data-capacity=\"" +
              std::to_string(use.capacity) + "\">" + grouped(static_cast<uint64_t>(use.capacity)) +
              "</td><td>" + escapeHtml(use.period) + "</td><td class=\"num\">" + share + "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

}  // namespace crm::report
