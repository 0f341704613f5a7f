#include "run/history_run.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <limits>

#include "runtime/time.h"

namespace crm::run {

void HistorySession::applyTo(RunOptions& options) const {
  options.contacts = &contacts;
  options.previousRun = previousRun;
  options.conversionRates = &conversionRates;
}

int64_t historyHorizon(const ir::Program& program, int64_t asOf) {
  // A month and a day covers the longest capacity period (a week) and a
  // calendar month in any time zone. Rolling windows and longer calendar
  // windows add their own length.
  int64_t reach = 32 * runtime::kMicrosPerDay;
  for (const ir::Cap& cap : program.caps) {
    int64_t length = 0;
    if (cap.calendar) {
      int64_t days = 1;
      if (cap.period == ir::Period::Week) days = 7;
      if (cap.period == ir::Period::Month) days = 31;
      length = (cap.periods + 1) * days * runtime::kMicrosPerDay;
    } else if (cap.window != nullptr && cap.window->op == ir::Op::Constant) {
      length = cap.window->constant.asInt();
    } else {
      // A window that depends on the customer: read everything.
      return std::numeric_limits<int64_t>::min();
    }
    reach = std::max(reach, length + runtime::kMicrosPerDay);
  }
  return asOf - reach;
}

std::string scriptHash(const source::SourceManager& sources) {
  // FNV-1a over the texts, each followed by a zero byte.
  uint64_t hash = 14695981039346656037ULL;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
  };
  for (source::FileId id = 0; id < sources.size(); ++id) {
    mix(sources.file(id).text());
    mix(std::string_view("\0", 1));
  }
  char text[20];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string defaultRunId(const source::SourceManager& sources, int64_t asOf) {
  return runtime::formatTimestamp(asOf) + "-" + scriptHash(sources);
}

bool openHistorySession(const std::string& location, bool commit, int lockTimeoutMs,
                        const ir::Program& program, int64_t asOf, HistorySession& session,
                        std::string& error) {
  session.history = history::History::open(location, commit, error);
  if (session.history == nullptr) return false;
  if (!session.history->begin(commit, lockTimeoutMs, error)) return false;
  // The run's own messages, from an earlier attempt with the same id, are
  // left out, so that repeating it gives the same decisions.
  return session.history->hasRun(session.runId, session.alreadyCommitted, error) &&
         session.history->previousRun(session.runId, asOf, session.previousRun, error) &&
         session.history->contacts(historyHorizon(program, asOf), session.runId,
                                   session.contacts, error) &&
         session.history->conversionRates(session.runId, session.conversionRates, error);
}

std::vector<history::Contact> sendsOf(const ir::Program& program, const runtime::Store& store,
                                      const RunResult& result) {
  std::vector<history::Contact> sends;
  const runtime::Table* customers = store.table(program.customerEntity);
  if (customers == nullptr) return sends;
  for (const Decision& decision : result.decisions) {
    if (decision.channel < 0) continue;
    const ir::Campaign& campaign = program.campaigns[decision.campaign];
    history::Contact contact;
    contact.customer = customers->keyText(decision.customer);
    contact.campaign = campaign.name;
    contact.channel = program.channels[decision.channel].name;
    contact.group = campaign.group;
    contact.at = decision.at;
    contact.transactional = campaign.transactional;
    contact.events = decision.events;
    sends.push_back(std::move(contact));
  }
  return sends;
}

bool commitRun(HistorySession& session, const ir::Program& program, const runtime::Store& store,
               const RunResult& result, int64_t asOf, std::string& error) {
  if (session.alreadyCommitted) {
    // Only the same messages make the repeat a no-op: a run that decided
    // differently (another as-of, script or data) under the id of a
    // committed one would publish messages the history never holds.
    std::vector<history::Contact> committed;
    if (!session.history->runContacts(session.runId, committed, error)) return false;
    session.history->rollback();
    auto key = [](const history::Contact& c) {
      return std::make_tuple(c.customer, c.campaign, c.channel, c.at);
    };
    std::vector<std::tuple<std::string, std::string, std::string, int64_t>> before, now;
    for (const auto& c : committed) before.push_back(key(c));
    for (const auto& c : sendsOf(program, store, result)) now.push_back(key(c));
    std::sort(before.begin(), before.end());
    std::sort(now.begin(), now.end());
    if (before != now) {
      error = "run " + session.runId + " is already in the history with other messages (" +
              std::to_string(before.size()) + " then, " + std::to_string(now.size()) +
              " now), because its as-of, scripts or data changed; give this run its own "
              "--run-id";
      return false;
    }
    return true;
  }
  history::RunRecord record;
  record.runId = session.runId;
  record.asOf = asOf;
  record.scriptHash = session.scriptHash;
  if (!session.history->append(record, sendsOf(program, store, result), error) ||
      !session.history->commit(error)) {
    session.history->rollback();
    return false;
  }
  return true;
}

}  // namespace crm::run
