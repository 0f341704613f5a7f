#include "run/run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_set>

#include "compiler/driver/driver.h"
#include "run/arbitrate.h"
#include "run/schedule.h"
#include "runtime/field_read.h"
#include "runtime/time.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "runtime/value.h"

namespace crm::run {

using runtime::Value;
using runtime::ValueKind;

namespace {

// The candidates, errors and counts of one thread's range of customers.
struct Partial {
  internal::RunPlans plans;
  std::vector<EvaluationError> errors;
  size_t errorCount = 0;
  std::map<std::string, size_t> errorsByRule;
  std::vector<size_t> segmentMembers;
  std::vector<std::vector<uint32_t>> members;
  std::vector<TraceStep> trace;
  size_t customers = 0;
};

// What every worker shares: the handled trigger events of the history, as
// `customer \x1f campaign \x1f event`, and the loaded time zones.
struct Shared {
  std::unordered_set<std::string> handled;
  std::mutex zoneMutex;
  std::map<std::string, std::optional<runtime::TimeZone>> zones;

  std::optional<runtime::TimeZone> zone(const std::string& name) {
    std::lock_guard<std::mutex> lock(zoneMutex);
    auto [it, inserted] = zones.try_emplace(name);
    if (inserted) it->second = runtime::TimeZone::load(name);
    return it->second;
  }
};

class Worker {
 public:
  Worker(const ir::Program& program, const runtime::Store& store, const RunOptions& options,
         const interp::NativeCode* native, std::atomic<size_t>& errorTotal,
         std::atomic<bool>& stop, Shared& shared)
      : program_(program),
        customers_(*store.table(program.customerEntity)),
        options_(options),
        interpreter_(program, &store, options.asOf),
        errorTotal_(errorTotal),
        stop_(stop),
        shared_(shared),
        segments_(program.segments()) {
    partial_.segmentMembers.assign(segments_.size(), 0);
    if (options.collectMembers) partial_.members.resize(segments_.size());
    interpreter_.setNativeCode(native);
    for (const auto& campaign : program.campaigns) {
      auto code = [&](const ir::NodePtr& node) {
        return node != nullptr ? interpreter_.nativeCode(*node) : nullptr;
      };
      campaignCode_.push_back({code(campaign.audience), code(campaign.priority),
                               code(campaign.expectedValue), code(campaign.offer)});
    }
    for (const auto& channel : program.channels) {
      reachableCode_.push_back(channel.reachable != nullptr
                                   ? interpreter_.nativeCode(*channel.reachable)
                                   : nullptr);
    }
    reachable_.resize(program.channels.size());
    reachableKnown_.assign(program.channels.size(), 0);
    for (const auto& channel : program.channels) {
      auto zone = shared.zone(channel.timeZone);
      channelZones_.push_back(zone ? *zone : runtime::TimeZone::utc());
    }
    auto zone = shared.zone(program.customerTimeZone);
    defaultZone_ = zone ? *zone : runtime::TimeZone::utc();
  }

  void evaluate(uint32_t row);
  Partial& partial() { return partial_; }

 private:
  void evaluateCustomer(uint32_t row);

  // Counts `value` against `rule` when it is an error, and returns whether it was.
  bool recordError(uint32_t row, const std::string& rule, const Value& value);
  void evaluateCampaign(uint32_t row, uint32_t index);
  // The customer's time zone; records an error and returns nullopt when the
  // customer's field names no zone.
  std::optional<runtime::TimeZone> customerZone(uint32_t row);
  // Appends the customer's bound of each cap to the run's list. False after
  // an error, which drops the customer's marketing candidates.
  bool evaluateCaps(uint32_t row, std::string& error);
  // Records a trace step for the traced customer. It takes views, so the
  // other customers build no strings.
  void step(std::string_view stage, std::string_view name, std::string_view campaign,
            std::string_view outcome, std::string_view detail = {}) {
    if (!tracing_) return;
    partial_.trace.push_back({std::string(stage), std::string(name), std::string(campaign),
                              std::string(outcome), std::string(detail)});
  }

  // The native code of a campaign's parts, found once for every customer.
  struct CampaignCode {
    const void* audience;
    const void* priority;
    const void* expectedValue;
    const void* offer;
  };

  const ir::Program& program_;
  const runtime::Table& customers_;
  const RunOptions& options_;
  interp::Interpreter interpreter_;
  std::vector<CampaignCode> campaignCode_;
  std::vector<const void*> reachableCode_;  // per channel
  std::atomic<size_t>& errorTotal_;
  std::atomic<bool>& stop_;
  Shared& shared_;
  std::vector<uint32_t> segments_;
  Partial partial_;
  bool tracing_ = false;
  // The errors counted for the current customer, compared by identity: a
  // cached let or segment gives the same error value to every reader. They
  // are kept alive so that no other error reuses their address.
  std::vector<Value> recorded_;
  // Each channel's reachability for the current customer, computed once.
  std::vector<Value> reachable_;
  std::vector<uint8_t> reachableKnown_;
  std::vector<runtime::TimeZone> channelZones_;
  runtime::TimeZone defaultZone_ = runtime::TimeZone::utc();
  std::optional<runtime::TimeZone> zone_;  // the current customer's
  // Whether zone_ was looked up for the current customer. A zone that is
  // not found stays empty, and its error is counted once.
  bool zoneLookedUp_ = false;
  std::map<std::string, std::optional<runtime::TimeZone>, std::less<>> zones_;
};

bool Worker::recordError(uint32_t row, const std::string& rule, const Value& value) {
  if (!value.isError()) return false;
  // A segment's error that a campaign's audience reads again is one error.
  for (const Value& seen : recorded_) {
    if (&seen.asError() == &value.asError()) return true;
  }
  recorded_.push_back(value);
  ++partial_.errorCount;
  ++partial_.errorsByRule[rule];
  if (partial_.errors.size() < options_.errorsKept) {
    partial_.errors.push_back({row, rule, value.asError().message});
  }
  step("error", rule, "", "error", value.asError().message);
  size_t total = errorTotal_.fetch_add(1) + 1;
  if (options_.maxErrors && total > *options_.maxErrors) stop_ = true;
  return true;
}

void Worker::evaluate(uint32_t row) {
  try {
    evaluateCustomer(row);
  } catch (const std::bad_alloc&) {
    // One customer's values outgrew memory. What was built for it is freed
    // by now, so the run goes on with the next customer.
    recordError(row, "memory",
                Value::error(runtime::ErrorKind::InvalidArgument,
                             "out of memory while evaluating this customer"));
  }
}

std::optional<runtime::TimeZone> Worker::customerZone(uint32_t row) {
  if (program_.customerTimeZoneField < 0) return defaultZone_;
  Value field = runtime::readField(customers_, static_cast<uint32_t>(program_.customerTimeZoneField),
                                   row);
  if (field.isNull()) return defaultZone_;
  if (field.isError()) {
    recordError(row, "time_zone", field);
    return std::nullopt;
  }
  // Most customers share a few zones, so each worker keeps the ones it met.
  std::string_view name = field.asString();
  auto known = zones_.find(name);
  if (known == zones_.end()) {
    known = zones_.emplace(std::string(name), shared_.zone(std::string(name))).first;
  }
  const std::optional<runtime::TimeZone>& zone = known->second;
  if (!zone) {
    recordError(row, "time_zone",
                Value::error(runtime::ErrorKind::InvalidArgument,
                             "the customer's time_zone '" + std::string(name) +
                                 "' is not an IANA time zone such as America/New_York"));
    return std::nullopt;
  }
  return zone;
}

bool Worker::evaluateCaps(uint32_t row, std::string& error) {
  std::vector<internal::CapBounds>& list = partial_.plans.caps;
  size_t first = list.size();
  list.resize(first + program_.caps.size());
  internal::CapBounds* bounds = list.data() + first;
  for (size_t c = 0; c < program_.caps.size(); ++c) {
    const ir::Cap& cap = program_.caps[c];
    Value limit = cap.limit->op == ir::Op::Constant ? cap.limit->constant
                                                    : interpreter_.evaluate(*cap.limit);
    if (limit.isNull()) limit = Value::error(runtime::ErrorKind::InvalidArgument,
                                             "the limit of `" + cap.text + "` is null");
    if (!limit.isError() && limit.asInt() < 0) {
      limit = Value::error(runtime::ErrorKind::InvalidArgument,
                           "the limit of `" + cap.text + "` is negative: " +
                               std::to_string(limit.asInt()));
    }
    if (recordError(row, cap.text, limit)) {
      error = limit.asError().message;
      return false;
    }
    bounds[c].limit = limit.asInt();
    if (cap.window != nullptr) {
      Value window = cap.window->op == ir::Op::Constant ? cap.window->constant
                                                        : interpreter_.evaluate(*cap.window);
      if (!window.isError() && (window.isNull() || window.asInt() <= 0)) {
        window = Value::error(runtime::ErrorKind::InvalidArgument,
                              "the window of `" + cap.text + "` is not longer than zero");
      }
      if (recordError(row, cap.text, window)) {
        error = window.asError().message;
        return false;
      }
      bounds[c].window = window.asInt();
    }
  }
  return true;
}

void Worker::evaluateCustomer(uint32_t row) {
  interpreter_.setCustomer(row);
  recorded_.clear();
  std::fill(reachableKnown_.begin(), reachableKnown_.end(), 0);
  ++partial_.customers;
  tracing_ = options_.traceCustomer && *options_.traceCustomer == row;
  zone_.reset();
  zoneLookedUp_ = false;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const std::string& name = program_.declarations[segments_[i]].name;
    Value member = interpreter_.declaration(segments_[i]);
    if (recordError(row, name, member)) continue;
    if (tracing_) step("segment", name, "", member.asBool() ? "true" : "false");
    if (member.is(ValueKind::Bool) && member.asBool()) {
      ++partial_.segmentMembers[i];
      if (options_.collectMembers) partial_.members[i].push_back(row);
    }
  }
  internal::CustomerPlan plan;
  plan.row = row;
  plan.trace = tracing_;
  internal::RunPlans& plans = partial_.plans;
  plan.firstCandidate = plans.candidates.size();
  for (uint32_t c = 0; c < program_.campaigns.size(); ++c) evaluateCampaign(row, c);
  plan.candidateCount = plans.candidates.size() - plan.firstCandidate;
  if (plan.candidateCount == 0) return;
  plan.zone = zone_ ? zone_ : defaultZone_;
  plan.firstCap = plans.caps.size();
  std::string error;
  if (!evaluateCaps(row, error)) {
    // Without its limits the customer's caps cannot be kept; only
    // transactional messages, which bypass them, go on.
    for (size_t i = 0; i < plan.candidateCount; ++i) {
      internal::Candidate& candidate = plans.candidates[plan.firstCandidate + i];
      if (program_.campaigns[candidate.decision.campaign].transactional) continue;
      if (candidate.decision.reason.empty()) candidate.decision.reason = "error: " + error;
    }
  }
  plans.plans.push_back(std::move(plan));
}

void Worker::evaluateCampaign(uint32_t row, uint32_t index) {
  const ir::Campaign& campaign = program_.campaigns[index];
  const CampaignCode& code = campaignCode_[index];
  internal::Candidate candidate;
  Decision& decision = candidate.decision;
  decision.customer = row;
  decision.campaign = index;
  decision.at = options_.asOf;
  std::vector<internal::Option>& options = partial_.plans.options;
  candidate.firstOption = options.size();
  auto drop = [&](std::string reason) {
    step("decision", campaign.name, campaign.name, "dropped", reason);
    decision.reason = std::move(reason);
    // A dropped candidate has no options, so those collected for it go.
    options.resize(candidate.firstOption);
    partial_.plans.candidates.push_back(std::move(candidate));
  };
  auto dropWithError = [&](const Value& error) {
    recordError(row, campaign.name, error);
    drop("error: " + error.asError().message);
  };

  if (campaign.trigger >= 0) {
    const ir::Trigger& trigger = program_.triggers[campaign.trigger];
    std::vector<interp::Interpreter::FiredEvent> fired;
    Value fires = interpreter_.triggerEvents(
        static_cast<uint32_t>(campaign.trigger),
        options_.previousRun.value_or(std::numeric_limits<int64_t>::min()), &fired);
    // A trigger whose condition fails does not fire, and the error is counted.
    if (recordError(row, trigger.name, fires)) return;
    if (!shared_.handled.empty() && !fired.empty()) {
      std::string prefix = customers_.keyText(row) + '\x1f' + campaign.name + '\x1f';
      std::erase_if(fired, [&](const auto& event) {
        return shared_.handled.count(prefix + event.id) != 0;
      });
    }
    if (tracing_) {
      std::string ids;
      for (const auto& event : fired) ids += (ids.empty() ? "" : ", ") + event.id;
      step("trigger", trigger.name, campaign.name, fired.empty() ? "not fired" : "fired",
           fired.empty() ? "no new event is due" : "events " + ids);
    }
    if (fired.empty()) return;
    for (auto& event : fired) decision.events.push_back(std::move(event.id));
  }
  // A constant priority is known before the audience, so that a candidate
  // dropped for an error still shows it.
  if (campaign.priority != nullptr && campaign.priority->op == ir::Op::Constant) {
    decision.priority = campaign.priority->constant.asInt();
  }
  Value audience = interpreter_.evaluate(*campaign.audience, code.audience);
  if (audience.isError()) return dropWithError(audience);
  if (tracing_) step("audience", campaign.name, campaign.name, audience.asBool() ? "true" : "false");
  if (!audience.asBool()) return;

  if (campaign.priority != nullptr && campaign.priority->op != ir::Op::Constant) {
    Value priority = interpreter_.evaluate(*campaign.priority, code.priority);
    if (priority.isError()) return dropWithError(priority);
    decision.priority = priority.asInt();
  }
  if (campaign.expectedValue != nullptr) {
    Value expected = interpreter_.evaluate(*campaign.expectedValue, code.expectedValue);
    if (expected.isError()) return dropWithError(expected);
    decision.expectedValue = runtime::displayText(expected);
    decision.expected = expected;
  } else if (options_.conversionRates != nullptr) {
    // Without a declared value, the share of the campaign's past messages
    // that converted.
    auto rate = options_.conversionRates->find(campaign.name);
    if (rate != options_.conversionRates->end()) {
      decision.expected = Value::floating(rate->second);
      decision.expectedValue = runtime::displayText(decision.expected);
    }
  }
  if (campaign.offer != nullptr) {
    Value offer = interpreter_.evaluate(*campaign.offer, code.offer);
    if (offer.isError()) return dropWithError(offer);
    for (size_t i = 0; i < offer.listSize(); ++i) {
      decision.offer.push_back(runtime::displayText(offer.listAt(i)));
    }
    if (decision.offer.empty() && !campaign.sendOnEmptyOffer) return drop("no offer");
  }
  if (!zoneLookedUp_) {
    zone_ = customerZone(row);
    zoneLookedUp_ = true;
  }
  if (!zone_) return drop("error: unknown time zone");
  int64_t requested = requestedTime(campaign, options_.asOf, *zone_);
  if (requested > runtime::kMaxTimestamp) {
    return dropWithError(Value::error(runtime::ErrorKind::InvalidArgument,
                                      "the send time of campaign `" + campaign.name +
                                          "` falls after the year 9999"));
  }
  bool quiet = false;
  for (uint32_t channel : campaign.channels) {
    const ir::Channel& declared = program_.channels[channel];
    if (declared.reachable != nullptr) {
      if (!reachableKnown_[channel]) {
        reachable_[channel] = interpreter_.evaluate(*declared.reachable, reachableCode_[channel]);
        reachableKnown_[channel] = 1;
      }
      const Value& reachable = reachable_[channel];
      // An error makes the channel unreachable for this customer only.
      if (recordError(row, declared.name, reachable)) {
        continue;
      }
      if (!reachable.asBool()) {
        step("channel", declared.name, campaign.name, "not reachable");
        continue;
      }
    }
    const runtime::TimeZone& channelZone = channelZones_[channel];
    if (channelOpen(declared, requested, *zone_, channelZone)) {
      if (tracing_) {
        step("channel", declared.name, campaign.name, "reachable",
             "open at " + formatLocal(requested, *zone_));
      }
      options.push_back({channel, requested, false});
      continue;
    }
    if (campaign.dropWhenQuiet) {
      quiet = true;
      if (tracing_) {
        step("channel", declared.name, campaign.name, "quiet hours",
             "closed at " + formatLocal(requested, *zone_) + "; the campaign drops");
      }
      continue;
    }
    auto opening = nextOpening(declared, requested, *zone_, channelZone);
    if (opening && *opening > runtime::kMaxTimestamp) opening.reset();
    if (!opening) {
      quiet = true;
      if (tracing_) {
        step("channel", declared.name, campaign.name, "never open",
             "no opening within 14 days of " + formatLocal(requested, *zone_));
      }
      continue;
    }
    if (tracing_) {
      step("channel", declared.name, campaign.name, "reachable",
           "deferred from " + formatLocal(requested, *zone_) + " to " +
               formatLocal(*opening, *zone_));
    }
    options.push_back({channel, *opening, true});
  }
  candidate.optionCount = static_cast<uint32_t>(options.size() - candidate.firstOption);
  if (candidate.optionCount == 0) {
    return drop(quiet ? "quiet hours" : "no reachable channel");
  }
  candidate.cost = program_.channels[options[candidate.firstOption].channel].cost;
  if (tracing_) {
    step("candidate", campaign.name, campaign.name, "candidate",
         "priority " + std::to_string(decision.priority) +
             (decision.expectedValue.empty() ? "" : ", expected value " + decision.expectedValue));
  }
  partial_.plans.candidates.push_back(std::move(candidate));
}

}  // namespace

const char* engineName(Engine engine) {
  switch (engine) {
    case Engine::Interpreter: return "interp";
    case Engine::Jit: return "jit";
  }
  return "?";
}

RunResult runProgram(const ir::Program& program, const runtime::Store& store,
                     const RunOptions& options) {
  auto start = std::chrono::steady_clock::now();
  RunResult result;
  const runtime::Table* customers =
      program.customerEntity.empty() ? nullptr : store.table(program.customerEntity);
  size_t segmentCount = program.segments().size();
  result.segmentMembers.assign(segmentCount, 0);
  if (options.collectMembers) result.members.resize(segmentCount);
  result.sendsByChannel.resize(program.campaigns.size());
  result.dropsByReason.resize(program.campaigns.size());
  if (customers == nullptr) return result;

  // The JIT compiles once; every thread runs the same code.
  std::unique_ptr<jit::CompiledProgram> compiled;
  if (options.engine == Engine::Jit) {
    auto compileStart = std::chrono::steady_clock::now();
    jit::Options jitOptions;
    jitOptions.optLevel = options.jitOptLevel >= 0 ? options.jitOptLevel
                          : customers->rowCount >= kOptimiseFromCustomers ? 2
                                                                          : 0;
    result.jitOptLevel = jitOptions.optLevel;
    jitOptions.cacheDir = options.jitCacheDir;
    if (options.jitMaxNodes != SIZE_MAX) jitOptions.maxNodes = options.jitMaxNodes;
    compiled = jit::compile(program, &store, jitOptions, result.engineError);
    if (compiled != nullptr) result.engineNote = compiled->note();
    result.compileSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();
    if (compiled == nullptr) return result;
  }

  const size_t total = customers->rowCount;
  unsigned threads = std::max(1u, std::min<unsigned>(options.threads, 256));
  if (total < threads) threads = std::max<size_t>(total, 1);
  std::atomic<size_t> errorTotal{0};
  std::atomic<bool> stop{false};
  std::atomic<size_t> done{0};
  std::vector<Partial> partials(threads);
  Shared shared;
  if (options.contacts != nullptr) {
    for (const auto& contact : *options.contacts) {
      for (const auto& event : contact.events) {
        shared.handled.insert(contact.customer + '\x1f' + contact.campaign + '\x1f' + event);
      }
    }
  }

  // Evaluation recurses once per let or segment that another reads, so the
  // workers run on large stacks, as the checker does. An exception (an
  // internal error) is carried to the caller instead of ending the process.
  std::mutex failureMutex;
  std::exception_ptr failure;
  auto evaluateRange = [&](unsigned t) {
    size_t begin = total * t / threads;
    size_t end = total * (t + 1) / threads;
    Worker worker(program, store, options, compiled.get(), errorTotal, stop, shared);
    size_t sinceReport = 0;
    for (size_t row = begin; row < end && !stop; ++row) {
      worker.evaluate(static_cast<uint32_t>(row));
      if (++sinceReport == 256) {
        done += sinceReport;
        sinceReport = 0;
      }
    }
    done += sinceReport;
    partials[t] = std::move(worker.partial());
  };
  auto work = [&](unsigned t) {
    try {
      driver::runWithLargeStack([&] { evaluateRange(t); });
    } catch (...) {
      std::lock_guard<std::mutex> lock(failureMutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  if (options.progress) {
    // The first range gets a thread of its own, so that the calling thread
    // can report progress until every range is done.
    std::thread first(work, 0u);
    while (done < total && !stop) {
      options.progress(done);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    first.join();
    options.progress(done);
  } else {
    work(0);
  }
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);

  // Arbitration sees every customer's candidates at once, in customer order.
  internal::RunPlans plans;
  for (size_t t = 0; t < partials.size(); ++t) {
    Partial& partial = partials[t];
    if (t == 0) {
      plans = std::move(partial.plans);
    } else {
      plans.append(std::move(partial.plans));
    }
    for (auto& step : partial.trace) result.trace.push_back(std::move(step));
    result.customers += partial.customers;
    for (auto& error : partial.errors) {
      if (result.errors.size() < options.errorsKept) result.errors.push_back(std::move(error));
    }
    result.errorCount += partial.errorCount;
    for (const auto& [rule, count] : partial.errorsByRule) result.errorsByRule[rule] += count;
    for (size_t i = 0; i < segmentCount; ++i) {
      result.segmentMembers[i] += partial.segmentMembers[i];
      if (options.collectMembers) {
        result.members[i].insert(result.members[i].end(), partial.members[i].begin(),
                                 partial.members[i].end());
      }
    }
  }
  partials.clear();
  internal::arbitrate(program, *customers, plans, options.contacts, result.trace);
  internal::ChunkedList<internal::Candidate>& candidates = plans.candidates;

  // Each customer's sends in rank order, then its drops in campaign order.
  result.channelSends.assign(program.channels.size(), 0);
  result.decisions.reserve(candidates.size());
  std::vector<size_t> order;
  for (size_t p = 0; p < plans.plans.size(); ++p) {
    const internal::CustomerPlan& plan = plans.plans[p];
    order.resize(plan.candidateCount);
    std::iota(order.begin(), order.end(), plan.firstCandidate);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const Decision& x = candidates[a].decision;
      const Decision& y = candidates[b].decision;
      bool xSent = x.channel >= 0;
      bool ySent = y.channel >= 0;
      if (xSent != ySent) return xSent;
      return xSent && x.rank < y.rank;
    });
    for (size_t i : order) {
      Decision& decision = candidates[i].decision;
      if (decision.channel >= 0) {
        ++result.sendsByChannel[decision.campaign][decision.channel];
        ++result.channelSends[decision.channel];
      } else {
        std::string reason = decision.reason.rfind("error: ", 0) == 0 ? "error" : decision.reason;
        ++result.dropsByReason[decision.campaign][reason];
      }
      result.decisions.push_back(std::move(decision));
    }
  }
  result.stopped = stop;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace crm::run
