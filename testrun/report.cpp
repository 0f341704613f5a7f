#include "testrun/report.h"

#include <cstdio>

namespace crm::testrun {
namespace {

std::string escapeXml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string seconds(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", value);
  return buffer;
}

bool segmentCovered(const Coverage::Segment& segment) {
  return segment.held > 0 && segment.notHeld > 0;
}

// The declarations covered, and all that count.
std::pair<size_t, size_t> coveredOf(const Coverage& coverage) {
  size_t covered = 0;
  for (const auto& [where, segment] : coverage.segments) covered += segmentCovered(segment) ? 1 : 0;
  for (const auto& [where, use] : coverage.campaigns) covered += use.sends > 0 ? 1 : 0;
  for (const auto& [where, use] : coverage.channels) covered += use.sends > 0 ? 1 : 0;
  for (const auto& [where, cap] : coverage.caps) covered += cap.capped > 0 ? 1 : 0;
  size_t total = coverage.segments.size() + coverage.campaigns.size() + coverage.channels.size() +
                 coverage.caps.size();
  return {covered, total};
}

}  // namespace

Totals totalsOf(const std::vector<FileResult>& files) {
  Totals totals;
  for (const auto& file : files) {
    if (!file.error.empty()) ++totals.fileErrors;
    for (const auto& test : file.tests) ++(test.passed() ? totals.passed : totals.failed);
  }
  return totals;
}

void printResults(std::ostream& out, const std::vector<FileResult>& files) {
  for (const auto& file : files) {
    if (!file.error.empty()) {
      out << file.error;
      out << "error: the tests of " << file.path << " did not run\n";
    }
    for (const auto& test : file.tests) {
      if (test.passed()) continue;
      out << "FAIL " << test.location << ": test \"" << test.name << "\"\n";
      for (const auto& failure : test.failures) {
        out << "  " << failure.location << ": " << failure.message << "\n";
      }
    }
  }
  Totals totals = totalsOf(files);
  out << totals.passed << " passed, " << totals.failed << " failed";
  if (totals.fileErrors > 0) {
    out << ", " << totals.fileErrors << (totals.fileErrors == 1 ? " file" : " files")
        << " with errors";
  }
  out << "\n";
}

std::string junitXml(const std::vector<FileResult>& files) {
  Totals totals = totalsOf(files);
  double total = 0;
  for (const auto& file : files) {
    for (const auto& test : file.tests) total += test.seconds;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites name=\"crm test\" tests=\"" +
         std::to_string(totals.passed + totals.failed + totals.fileErrors) + "\" failures=\"" +
         std::to_string(totals.failed) + "\" errors=\"" + std::to_string(totals.fileErrors) +
         "\" time=\"" + seconds(total) + "\">\n";
  for (const auto& file : files) {
    std::string path = escapeXml(file.path);
    size_t failed = 0;
    double time = 0;
    for (const auto& test : file.tests) {
      failed += test.passed() ? 0 : 1;
      time += test.seconds;
    }
    bool error = !file.error.empty();
    xml += "  <testsuite name=\"" + path + "\" tests=\"" +
           std::to_string(file.tests.size() + (error ? 1 : 0)) + "\" failures=\"" +
           std::to_string(failed) + "\" errors=\"" + (error ? "1" : "0") + "\" time=\"" +
           seconds(time) + "\">\n";
    if (error) {
      xml += "    <testcase name=\"check\" classname=\"" + path + "\" time=\"0.000\">\n";
      xml += "      <error message=\"the script did not check\" type=\"check\">" +
             escapeXml(file.error) + "</error>\n";
      xml += "    </testcase>\n";
    }
    for (const auto& test : file.tests) {
      xml += "    <testcase name=\"" + escapeXml(test.name) + "\" classname=\"" + path +
             "\" file=\"" + path + "\" time=\"" + seconds(test.seconds) + "\"";
      if (test.passed()) {
        xml += "/>\n";
        continue;
      }
      xml += ">\n";
      for (const auto& failure : test.failures) {
        xml += "      <failure message=\"" + escapeXml(failure.message) +
               "\" type=\"failure\">" + escapeXml(failure.location + ": " + failure.message) +
               "</failure>\n";
      }
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

double coveragePercent(const Coverage& coverage) {
  auto [covered, total] = coveredOf(coverage);
  return total == 0 ? 100.0 : 100.0 * static_cast<double>(covered) / static_cast<double>(total);
}

void printCoverage(std::ostream& out, const Coverage& coverage) {
  auto count = [](size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  out << "coverage:\n";
  for (const auto& [where, segment] : coverage.segments) {
    out << "  " << (segmentCovered(segment) ? "covered     " : "not covered ") << "segment "
        << segment.name << " (" << where.text() << "): held in " << count(segment.held, "test", "tests")
        << ", not in " << count(segment.notHeld, "test", "tests") << "\n";
  }
  for (const auto& [where, use] : coverage.campaigns) {
    out << "  " << (use.sends > 0 ? "covered     " : "not covered ") << "campaign " << use.name
        << " (" << where.text() << "): sent in " << count(use.sends, "test", "tests") << "\n";
  }
  for (const auto& [where, use] : coverage.channels) {
    out << "  " << (use.sends > 0 ? "covered     " : "not covered ") << "channel " << use.name
        << " (" << where.text() << "): used by " << count(use.sends, "send", "sends") << "\n";
  }
  for (const auto& [where, cap] : coverage.caps) {
    out << "  " << (cap.capped > 0 ? "covered     " : "not covered ") << "pressure rule `"
        << cap.text << "` (" << where.text() << "): capped a candidate in "
        << count(cap.capped, "test", "tests") << "\n";
  }
  auto [covered, total] = coveredOf(coverage);
  out << "coverage: " << covered << " of " << total << " (" << percent(coveragePercent(coverage))
      << ") of segments, campaigns, channels and pressure rules\n";
}

}  // namespace crm::testrun
