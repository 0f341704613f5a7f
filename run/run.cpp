#include "run/run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "compiler/driver/driver.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "runtime/value.h"

namespace crm::run {

using runtime::Value;
using runtime::ValueKind;

namespace {

// The decisions, errors and counts of one thread's range of customers.
struct Partial {
  std::vector<Decision> decisions;
  std::vector<EvaluationError> errors;
  size_t errorCount = 0;
  std::map<std::string, size_t> errorsByRule;
  std::vector<size_t> segmentMembers;
  std::vector<std::vector<uint32_t>> members;
  size_t customers = 0;
};

// Whether expected value `a` ranks before `b`: numbers compare exactly
// across int, double and decimal, highest first; a NaN or a missing value
// ranks after every number. This is a strict weak ordering, which sorting
// requires.
bool expectedBefore(const Value& a, const Value& b) {
  auto comparable = [](const Value& v) {
    if (v.is(ValueKind::Double)) return !std::isnan(v.asDouble());
    return v.is(ValueKind::Int) || v.is(ValueKind::Decimal);
  };
  bool left = comparable(a);
  bool right = comparable(b);
  if (left != right) return left;
  if (!left) return false;
  bool unordered = false;
  return runtime::compare(a, b, unordered) > 0;
}

class Worker {
 public:
  Worker(const ir::Program& program, const runtime::Store& store, const RunOptions& options,
         const interp::NativeCode* native, std::atomic<size_t>& errorTotal,
         std::atomic<bool>& stop)
      : program_(program),
        customers_(*store.table(program.customerEntity)),
        options_(options),
        interpreter_(program, &store, options.asOf),
        errorTotal_(errorTotal),
        stop_(stop),
        segments_(program.segments()) {
    partial_.segmentMembers.assign(segments_.size(), 0);
    if (options.collectMembers) partial_.members.resize(segments_.size());
    interpreter_.setNativeCode(native);
    reachable_.resize(program.channels.size());
    reachableKnown_.assign(program.channels.size(), 0);
  }

  void evaluate(uint32_t row);
  Partial& partial() { return partial_; }

 private:
  void evaluateCustomer(uint32_t row);

  // Counts `value` against `rule` when it is an error, and returns whether it was.
  bool recordError(uint32_t row, const std::string& rule, const Value& value);
  void evaluateCampaign(uint32_t row, uint32_t index, std::vector<Decision>& sends,
                        std::vector<Decision>& drops);

  const ir::Program& program_;
  const runtime::Table& customers_;
  const RunOptions& options_;
  interp::Interpreter interpreter_;
  std::atomic<size_t>& errorTotal_;
  std::atomic<bool>& stop_;
  std::vector<uint32_t> segments_;
  Partial partial_;
  // The errors counted for the current customer, compared by identity: a
  // cached let or segment gives the same error value to every reader. They
  // are kept alive so that no other error reuses their address.
  std::vector<Value> recorded_;
  // Each channel's reachability for the current customer, computed once.
  std::vector<Value> reachable_;
  std::vector<uint8_t> reachableKnown_;
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

void Worker::evaluateCustomer(uint32_t row) {
  interpreter_.setCustomer(row);
  recorded_.clear();
  std::fill(reachableKnown_.begin(), reachableKnown_.end(), 0);
  ++partial_.customers;
  for (size_t i = 0; i < segments_.size(); ++i) {
    Value member = interpreter_.declaration(segments_[i]);
    if (recordError(row, program_.declarations[segments_[i]].name, member)) continue;
    if (member.is(ValueKind::Bool) && member.asBool()) {
      ++partial_.segmentMembers[i];
      if (options_.collectMembers) partial_.members[i].push_back(row);
    }
  }
  std::vector<Decision> sends;
  std::vector<Decision> drops;
  for (uint32_t c = 0; c < program_.campaigns.size(); ++c) evaluateCampaign(row, c, sends, drops);
  // Rank: priority first, then expected value, then campaign name.
  std::stable_sort(sends.begin(), sends.end(), [&](const Decision& a, const Decision& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (expectedBefore(a.expected, b.expected)) return true;
    if (expectedBefore(b.expected, a.expected)) return false;
    return program_.campaigns[a.campaign].name < program_.campaigns[b.campaign].name;
  });
  for (size_t i = 0; i < sends.size(); ++i) sends[i].rank = static_cast<uint32_t>(i + 1);
  for (auto& d : sends) partial_.decisions.push_back(std::move(d));
  for (auto& d : drops) partial_.decisions.push_back(std::move(d));
}

void Worker::evaluateCampaign(uint32_t row, uint32_t index, std::vector<Decision>& sends,
                              std::vector<Decision>& drops) {
  const ir::Campaign& campaign = program_.campaigns[index];
  Decision decision;
  decision.customer = row;
  decision.campaign = index;
  auto drop = [&](std::string reason) {
    decision.reason = std::move(reason);
    drops.push_back(std::move(decision));
  };
  auto dropWithError = [&](const Value& error) {
    recordError(row, campaign.name, error);
    drop("error: " + error.asError().message);
  };

  if (campaign.trigger >= 0) {
    Value fired = interpreter_.triggerFires(static_cast<uint32_t>(campaign.trigger));
    // A trigger whose condition fails does not fire, and the error is counted.
    if (recordError(row, program_.triggers[campaign.trigger].name, fired)) return;
    if (!fired.asBool()) return;
  }
  // A constant priority is known before the audience, so that a candidate
  // dropped for an error still shows it.
  if (campaign.priority != nullptr && campaign.priority->op == ir::Op::Constant) {
    decision.priority = campaign.priority->constant.asInt();
  }
  Value audience = interpreter_.evaluate(*campaign.audience);
  if (audience.isError()) return dropWithError(audience);
  if (!audience.asBool()) return;

  if (campaign.priority != nullptr && campaign.priority->op != ir::Op::Constant) {
    Value priority = interpreter_.evaluate(*campaign.priority);
    if (priority.isError()) return dropWithError(priority);
    decision.priority = priority.asInt();
  }
  if (campaign.expectedValue != nullptr) {
    Value expected = interpreter_.evaluate(*campaign.expectedValue);
    if (expected.isError()) return dropWithError(expected);
    decision.expectedValue = runtime::displayText(expected);
    decision.expected = expected;
  }
  if (campaign.offer != nullptr) {
    Value offer = interpreter_.evaluate(*campaign.offer);
    if (offer.isError()) return dropWithError(offer);
    for (size_t i = 0; i < offer.listSize(); ++i) {
      decision.offer.push_back(runtime::displayText(offer.listAt(i)));
    }
    if (decision.offer.empty() && !campaign.sendOnEmptyOffer) return drop("no offer");
  }
  for (uint32_t channel : campaign.channels) {
    const ir::Channel& declared = program_.channels[channel];
    if (declared.reachable == nullptr) {
      decision.channel = static_cast<int>(channel);
      break;
    }
    if (!reachableKnown_[channel]) {
      reachable_[channel] = interpreter_.evaluate(*declared.reachable);
      reachableKnown_[channel] = 1;
    }
    const Value& reachable = reachable_[channel];
    // An error makes the channel unreachable for this customer only.
    if (recordError(row, declared.name, reachable)) continue;
    if (reachable.asBool()) {
      decision.channel = static_cast<int>(channel);
      break;
    }
  }
  if (decision.channel < 0) return drop("no reachable channel");
  sends.push_back(std::move(decision));
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
    compiled = jit::compile(program, &store, jitOptions, result.engineError);
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

  // Evaluation recurses once per let or segment that another reads, so the
  // workers run on large stacks, as the checker does. An exception (an
  // internal error) is carried to the caller instead of ending the process.
  std::mutex failureMutex;
  std::exception_ptr failure;
  auto evaluateRange = [&](unsigned t) {
    size_t begin = total * t / threads;
    size_t end = total * (t + 1) / threads;
    Worker worker(program, store, options, compiled.get(), errorTotal, stop);
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

  for (auto& partial : partials) {
    result.customers += partial.customers;
    for (auto& decision : partial.decisions) {
      if (decision.channel >= 0) {
        ++result.sendsByChannel[decision.campaign][decision.channel];
      } else {
        std::string reason = decision.reason.rfind("error: ", 0) == 0 ? "error" : decision.reason;
        ++result.dropsByReason[decision.campaign][reason];
      }
      result.decisions.push_back(std::move(decision));
    }
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
  result.stopped = stop;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace crm::run
