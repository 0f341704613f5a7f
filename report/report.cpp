// Assembles the report: one section per view of the run, each a chart and
// the table of its numbers.
#include "report/report.h"

#include <cstdio>

#include "report/charts.h"
#include "report/html.h"
#include "report/tally.h"
#include "runtime/time.h"

namespace crm::report {
namespace {

const char* const kStyle = R"(
body { font-family: system-ui, sans-serif; color: #222; margin: 24px auto; max-width: 1100px;
       padding: 0 16px; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: 4px; }
h2 { font-size: 1.2em; margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin-top: 20px; }
p.note { color: #555; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.total { font-weight: 600; }
code, .mono { font-family: ui-monospace, monospace; font-size: 0.95em; word-break: break-all; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg.chart text { font-family: system-ui, sans-serif; font-size: 12px; fill: #222; }
svg.chart rect.capacity { fill: #e8e8e8; stroke: #999; stroke-dasharray: 3 2; }
)";

std::string row(const std::string& heading, const std::string& cellHtml) {
  return "<tr><th scope=\"row\">" + escapeHtml(heading) + "</th><td>" + cellHtml + "</td></tr>\n";
}

std::string numberCell(const std::string& label, const std::string& series, uint64_t value) {
  return "<td class=\"num\" data-label=\"" + escapeHtml(label) + "\" data-series=\"" +
         escapeHtml(series) + "\" data-value=\"" + std::to_string(value) + "\">" + grouped(value) +
         "</td>";
}

std::string engineText(const RunInfo& info, const run::RunResult& result) {
  if (info.engine == run::Engine::Interpreter)
    return "interp";
  return "jit (-O" + std::to_string(result.jitOptLevel) + ")";
}

std::string runSection(const RunInfo& info, const run::RunResult& result, const Tally& tally) {
  uint64_t messages = 0;
  for (size_t c = 0; c < tally.decisions.labels.size(); ++c)
    messages += tally.decisions.rowTotal(c);
  uint64_t dropped = 0;
  for (uint64_t n : tally.dropped)
    dropped += n;
  std::string html =
      "<section id=\"run\">\n<h2>Run</h2>\n<table id=\"table-run\" class=\"meta\">\n";
  html += row("script", "<span class=\"mono\">" +
                            escapeHtml(info.scripts.empty() ? "" : info.scripts.front().path) +
                            "</span>");
  html += row("script SHA-256",
              "<span class=\"mono\">" +
                  escapeHtml(info.scripts.empty() ? "" : info.scripts.front().sha256) + "</span>");
  html += row("as of", escapeHtml(runtime::formatTimestamp(info.asOf)));
  html += row("engine", escapeHtml(engineText(info, result)));
  html += row("threads", std::to_string(info.threads));
  html += row("customers evaluated", grouped(result.customers));
  html += row("messages", grouped(messages));
  html += row("dropped candidates", grouped(dropped));
  html += row("run-time errors", grouped(result.errorCount));
  if (info.rejectedRecords > 0) {
    html += row("records skipped by the load", grouped(info.rejectedRecords));
  }
  html += "</table>\n";

  if (info.scripts.size() > 1) {
    html +=
        "<h3>Script files</h3>\n<table id=\"table-scripts\" class=\"data\">\n"
        "<thead><tr><th>file</th><th>SHA-256</th></tr></thead>\n<tbody>\n";
    for (const auto& script : info.scripts) {
      html += "<tr><td class=\"mono\">" + escapeHtml(script.path) + "</td><td class=\"mono\">" +
              escapeHtml(script.sha256) + "</td></tr>\n";
    }
    html += "</tbody>\n</table>\n";
  }

  double evaluate = result.seconds - result.compileSeconds;
  const std::pair<const char*, double> steps[] = {{"check", info.checkSeconds},
                                                  {"load", info.loadSeconds},
                                                  {"compile", result.compileSeconds},
                                                  {"evaluate", evaluate < 0 ? 0 : evaluate},
                                                  {"write decisions", info.writeSeconds}};
  html +=
      "<h3>Time</h3>\n<table id=\"table-timings\" class=\"data\">\n"
      "<thead><tr><th>step</th><th class=\"num\">time</th></tr></thead>\n<tbody>\n";
  for (const auto& [step, seconds] : steps) {
    char exact[40];
    std::snprintf(exact, sizeof exact, "%.6f", seconds);
    html += "<tr><th scope=\"row\">" + std::string(step) +
            "</th><td class=\"num\" data-seconds=\"" + exact + "\">" + formatSeconds(seconds) +
            "</td></tr>\n";
  }
  return html + "</tbody>\n</table>\n</section>\n";
}

std::string sourcesSection(const RunInfo& info) {
  std::string html = "<section id=\"sources\">\n<h2>Data sources</h2>\n";
  if (info.sources.empty())
    return html + "<p class=\"note\">The script reads no source.</p>\n</section>\n";
  html +=
      "<table id=\"table-sources\" class=\"data\">\n<thead><tr><th>source</th><th>entity</th>"
      "<th>path</th><th class=\"num\">records</th><th class=\"num\">loaded</th>"
      "<th class=\"num\">rejected</th><th class=\"num\">time</th></tr></thead>\n<tbody>\n";
  for (const auto& source : info.sources) {
    html += "<tr><th scope=\"row\">" + escapeHtml(source.name) + "</th><td>" +
            escapeHtml(source.entity) + "</td><td class=\"mono\">" + escapeHtml(source.path) +
            "</td>" + numberCell(source.name, "records", source.records) +
            numberCell(source.name, "loaded", source.loaded) +
            numberCell(source.name, "rejected", source.rejected) + "<td class=\"num\">" +
            formatSeconds(source.seconds) + "</td></tr>\n";
  }
  return html + "</tbody>\n</table>\n</section>\n";
}

std::string gridSection(const std::string& id, const std::string& heading, const std::string& note,
                        const Grid& grid, const std::string& emptyNote) {
  std::string html = "<section id=\"" + id + "\">\n<h2>" + escapeHtml(heading) + "</h2>\n";
  if (!note.empty())
    html += "<p class=\"note\">" + note + "</p>\n";
  if (grid.labels.empty() || grid.series.empty()) {
    return html + "<p class=\"note\">" + emptyNote + "</p>\n</section>\n";
  }
  return html + barChart(grid) + gridTable(grid) + "</section>\n";
}

std::string decisionsSection(const Tally& tally) {
  std::string html = "<section id=\"decisions\">\n<h2>Messages per campaign and channel</h2>\n";
  if (tally.decisions.labels.empty()) {
    return html + "<p class=\"note\">The script declares no campaign.</p>\n</section>\n";
  }
  html += barChart(tally.decisions) + gridTable(tally.decisions);
  html +=
      "<table id=\"table-candidates\" class=\"data\">\n<thead><tr><th>campaign</th>"
      "<th class=\"num\">messages</th><th class=\"num\">dropped</th></tr></thead>\n<tbody>\n";
  for (size_t c = 0; c < tally.decisions.labels.size(); ++c) {
    const std::string& campaign = tally.decisions.labels[c];
    html += "<tr><th scope=\"row\">" + escapeHtml(campaign) + "</th>" +
            numberCell(campaign, "messages", tally.decisions.rowTotal(c)) +
            numberCell(campaign, "dropped", tally.dropped[c]) + "</tr>\n";
  }
  return html + "</tbody>\n</table>\n</section>\n";
}

std::string capacitySection(const Tally& tally) {
  std::string html = "<section id=\"capacity\">\n<h2>Channel capacity</h2>\n";
  if (tally.capacity.empty()) {
    return html + "<p class=\"note\">The script declares no channel.</p>\n</section>\n";
  }
  html +=
      "<p class=\"note\">Messages granted in this run against each channel's capacity per "
      "period. Messages of the contact history that used the same capacity are not "
      "counted here, and a run whose messages go out on several days spreads them over "
      "several periods.</p>\n";
  return html + capacityChart(tally.capacity) + capacityTable(tally.capacity) + "</section>\n";
}

std::string offersSection(const Tally& tally, const RunInfo& info) {
  std::string html = "<section id=\"offers\">\n<h2>Most offered products</h2>\n";
  if (tally.offers.empty()) {
    return html + "<p class=\"note\">No campaign has an offer.</p>\n</section>\n";
  }
  html +=
      "<p class=\"note\">Counted over the messages of this run, not the dropped candidates; "
      "the " +
      std::to_string(kTopOffered) + " most offered per campaign.";
  if (info.categoryLevel.empty()) {
    html += " The catalog declares no levels, so products are not grouped into categories.";
  } else {
    html += " Categories are the catalog's top level, <code>" + escapeHtml(info.categoryLevel) +
            "</code>.";
  }
  html += "</p>\n";
  for (const auto& offer : tally.offers) {
    html += "<h3 id=\"offers-" + escapeHtml(offer.campaign) + "\">" + escapeHtml(offer.campaign) +
            "</h3>\n<p>" + grouped(offer.messages) + " messages offered " +
            grouped(offer.offeredItems) + " products, " + grouped(offer.distinctProducts) +
            " distinct.</p>\n";
    if (offer.products.labels.empty())
      continue;
    html += barChart(offer.products) + gridTable(offer.products);
    if (!offer.categories.labels.empty()) {
      html += barChart(offer.categories) + gridTable(offer.categories);
    }
  }
  return html + "</section>\n";
}

std::string errorsSection(const Tally& tally, const run::RunResult& result,
                          const ir::Program& program, const runtime::Store& store) {
  std::string html = "<section id=\"errors\">\n<h2>Run-time errors</h2>\n";
  if (result.errorCount == 0)
    return html + "<p class=\"note\">None.</p>\n</section>\n";
  html += gridTable(tally.errors);
  const runtime::Table* customers = store.table(program.customerEntity);
  html +=
      "<table id=\"table-error-list\" class=\"data\">\n<thead><tr><th>customer</th>"
      "<th>rule</th><th>message</th></tr></thead>\n<tbody>\n";
  for (const auto& error : result.errors) {
    std::string key = customers != nullptr && error.customer < customers->rowCount
                          ? customers->keyText(error.customer)
                          : "?";
    html += "<tr><td class=\"mono\">" + escapeHtml(key) + "</td><td>" + escapeHtml(error.rule) +
            "</td><td>" + escapeHtml(error.message) + "</td></tr>\n";
  }
  html += "</tbody>\n</table>\n";
  if (result.errorCount > result.errors.size()) {
    html += "<p class=\"note\">" + grouped(result.errorCount - result.errors.size()) +
            " more not shown.</p>\n";
  }
  return html + "</section>\n";
}

}  // namespace

std::string buildReport(const ir::Program& program, const runtime::Store& store,
                        const run::RunResult& result, const RunInfo& info) {
  Tally tally = tallyRun(program, store, result, info.categoryLevel, kTopOffered);
  std::string script = info.scripts.empty() ? "" : info.scripts.front().path;
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>crm run " +
      escapeHtml(script) + " as of " + escapeHtml(runtime::formatTimestamp(info.asOf)) +
      "</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n<h1>crm run report</h1>\n"
      "<p class=\"note mono\">" +
      escapeHtml(script) + "</p>\n";
  html += runSection(info, result, tally);
  html += sourcesSection(info);
  html += gridSection("segments", "Segment members", "", tally.segments,
                      "The script declares no segment.");
  html += decisionsSection(tally);
  html += gridSection("suppressions", "Dropped candidates by reason",
                      "A candidate is dropped with the reason of its first channel; "
                      "<code>no capacity</code> is split by channel.",
                      tally.suppressions, "No candidate was dropped.");
  html += gridSection("messages-per-customer", "Messages per customer",
                      "How many customers got 0, 1, 2, … messages in this run.",
                      tally.messagesPerCustomer, "");
  html += capacitySection(tally);
  html += offersSection(tally, info);
  html += errorsSection(tally, result, program, store);
  return html + "</body>\n</html>\n";
}

}  // namespace crm::report
