// The contact history: every message a committed run sent, so that the
// next runs count them against pressure caps and channel capacity, and do
// not handle the same trigger event twice. SQLite by default (a file path),
// PostgreSQL for `postgresql://` or `postgres://` locations.
//
// A run that commits holds the history's write lock from the moment it
// reads the history until it appends its messages, so two runs against the
// same history never both use the room left under a cap: the second waits
// and then sees the first one's messages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "history/contact.h"

namespace crm::history {

struct RunRecord {
  std::string runId;
  int64_t asOf = 0;
  std::string scriptHash;
};

class History {
 public:
  // Opens (and with `create`, creates) the history at `location`. Returns
  // null and sets `error` when it cannot.
  static std::unique_ptr<History> open(const std::string& location, bool create,
                                       std::string& error);
  virtual ~History() = default;

  // Starts the run's transaction. With `write`, first takes the write lock,
  // waiting up to `lockTimeoutMs` for another run to finish.
  virtual bool begin(bool write, int lockTimeoutMs, std::string& error) = 0;
  // Whether a run with this id was committed.
  virtual bool hasRun(const std::string& runId, bool& found, std::string& error) = 0;
  // The as-of of the latest committed run before `asOf`, other than `runId`.
  virtual bool previousRun(const std::string& runId, int64_t asOf,
                           std::optional<int64_t>& previous, std::string& error) = 0;
  // The messages sent at or after `from`, and every message that handled
  // a trigger event, leaving out those of `excludeRun`.
  virtual bool contacts(int64_t from, const std::string& excludeRun, std::vector<Contact>& out,
                        std::string& error) = 0;
  // Per campaign that has any recorded response, its conversions divided by
  // its messages, leaving out the messages of `excludeRun`.
  virtual bool conversionRates(const std::string& excludeRun,
                               std::map<std::string, double>& rates, std::string& error) = 0;
  // The messages that run `runId` appended.
  virtual bool runContacts(const std::string& runId, std::vector<Contact>& out,
                           std::string& error) = 0;
  // Appends the run and its messages; visible once commit() returns.
  virtual bool append(const RunRecord& run, const std::vector<Contact>& sends,
                      std::string& error) = 0;
  virtual bool commit(std::string& error) = 0;
  virtual void rollback() = 0;
};

// Whether `location` names a PostgreSQL database rather than a file.
bool isPostgres(const std::string& location);

std::unique_ptr<History> openSqlite(const std::string& path, bool create, std::string& error);
std::unique_ptr<History> openPostgres(const std::string& conninfo, std::string& error);

}  // namespace crm::history
