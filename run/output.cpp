// The decision file: one JSON object per line, or CSV with a header row.
#include <cstdio>

#include "run/run.h"
#include "runtime/atomic_file.h"
#include "runtime/time.h"

namespace crm::run {
namespace {

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void appendCsvField(std::string& out, std::string_view text) {
  bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out.append(text);
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

const char* kCsvHeader =
    "customer,campaign,status,channel,send_at,offer,priority,expected_value,rank,reason,rule,"
    "winner,events,as_of\n";

void appendJsonArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    appendJsonString(out, items[i]);
  }
  out += ']';
}

void appendDecision(std::string& out, OutputFormat format, const ir::Program& program,
                    const runtime::Table& customers, const Decision& d, const std::string& asOf) {
  std::string customer = customers.keyText(d.customer);
  const std::string& campaign = program.campaigns[d.campaign].name;
  bool sent = d.channel >= 0;
  if (format == OutputFormat::Csv) {
    appendCsvField(out, customer);
    out += ',';
    appendCsvField(out, campaign);
    out += sent ? ",send," : ",dropped,";
    if (sent) appendCsvField(out, program.channels[d.channel].name);
    out += ',';
    if (sent) out += runtime::formatTimestamp(d.at);
    out += ',';
    // The keys as a JSON array, so that keys with spaces or commas stay
    // apart.
    std::string offer;
    appendJsonArray(offer, d.offer);
    appendCsvField(out, offer);
    out += ',' + std::to_string(d.priority) + ',';
    appendCsvField(out, d.expectedValue);
    out += ',';
    if (sent) out += std::to_string(d.rank);
    out += ',';
    appendCsvField(out, d.reason);
    out += ',';
    appendCsvField(out, d.rule);
    out += ',';
    appendCsvField(out, d.winner);
    out += ',';
    if (!d.events.empty()) {
      std::string events;
      appendJsonArray(events, d.events);
      appendCsvField(out, events);
    }
    out += ',' + asOf + '\n';
    return;
  }
  out += "{\"customer\":";
  appendJsonString(out, customer);
  out += ",\"campaign\":";
  appendJsonString(out, campaign);
  out += sent ? ",\"status\":\"send\",\"channel\":" : ",\"status\":\"dropped\"";
  if (sent) {
    appendJsonString(out, program.channels[d.channel].name);
    out += ",\"send_at\":\"" + runtime::formatTimestamp(d.at) + '"';
    if (d.deferred) out += ",\"deferred\":true";
  }
  out += ",\"offer\":";
  appendJsonArray(out, d.offer);
  out += ",\"priority\":" + std::to_string(d.priority);
  if (!d.expectedValue.empty()) {
    out += ",\"expected_value\":";
    appendJsonString(out, d.expectedValue);
  }
  if (sent) out += ",\"rank\":" + std::to_string(d.rank);
  if (!sent) {
    out += ",\"reason\":";
    appendJsonString(out, d.reason);
    if (!d.rule.empty()) {
      out += ",\"rule\":";
      appendJsonString(out, d.rule);
    }
    if (!d.winner.empty()) {
      out += ",\"winner\":";
      appendJsonString(out, d.winner);
    }
  }
  if (!d.events.empty()) {
    out += ",\"events\":";
    appendJsonArray(out, d.events);
  }
  out += ",\"as_of\":\"" + asOf + "\"}\n";
}

}  // namespace

std::string formatDecisions(OutputFormat format, const ir::Program& program,
                            const runtime::Store& store, const RunResult& result, int64_t asOf) {
  std::string out = format == OutputFormat::Csv ? kCsvHeader : "";
  const runtime::Table* customers = store.table(program.customerEntity);
  if (customers == nullptr) return out;
  std::string instant = runtime::formatTimestamp(asOf);
  for (const auto& decision : result.decisions) {
    appendDecision(out, format, program, *customers, decision, instant);
  }
  return out;
}

std::string writeDecisions(const std::string& path, OutputFormat format,
                           const ir::Program& program, const runtime::Store& store,
                           const RunResult& result, int64_t asOf,
                           const std::function<std::string()>& beforePublish) {
  runtime::AtomicFile file;
  if (!file.open(path, "the decisions file")) return file.error();
  std::string chunk = format == OutputFormat::Csv ? kCsvHeader : "";
  const runtime::Table* customers = store.table(program.customerEntity);
  std::string instant = runtime::formatTimestamp(asOf);
  if (customers != nullptr) {
    for (const auto& decision : result.decisions) {
      appendDecision(chunk, format, program, *customers, decision, instant);
      if (chunk.size() > (1 << 16)) {
        if (!file.write(chunk)) return file.error();
        chunk.clear();
      }
    }
  }
  // The file is complete and on disk before the history takes the run, so
  // that a full disk fails the run before the history changes.
  if (!file.write(chunk) || !file.sync()) return file.error();
  if (beforePublish) {
    std::string error = beforePublish();
    if (!error.empty()) return error;
  }
  if (!file.commit()) return file.error();
  return "";
}

}  // namespace crm::run
