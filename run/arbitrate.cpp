#include "run/arbitrate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "run/schedule.h"
#include "runtime/operators.h"
#include "runtime/time.h"

namespace crm::run::internal {

using runtime::Value;
using runtime::ValueKind;

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

namespace {

// A message counted by caps and capacity: from the history or granted
// earlier in this run.
struct Message {
  int64_t at = 0;
  int channel = -1;  // -1: a channel the program no longer declares
  std::string_view campaign;
  std::string_view group;
  bool transactional = false;
};

class Arbiter {
 public:
  Arbiter(const ir::Program& program, const runtime::Table& customers, RunPlans& plans,
          std::vector<TraceStep>& trace)
      : program_(program),
        customers_(customers),
        plans_(plans.plans),
        candidates_(plans.candidates),
        options_(plans.options),
        caps_(plans.caps),
        trace_(trace) {
    for (const auto& channel : program.channels) {
      auto zone = runtime::TimeZone::load(channel.timeZone);
      channelZones_.push_back(zone ? *zone : runtime::TimeZone::utc());
    }
    granted_.resize(plans.plans.size());
    history_.resize(plans.plans.size());
    historyTimes_.resize(program.channels.size());
  }

  void addHistory(const std::vector<history::Contact>& contacts);
  void run();

 private:
  bool before(size_t a, size_t b) const;
  void decide(size_t planIndex, Candidate& candidate);
  // Returns the cap that stops `candidate` on `option`, or -1.
  int cappedBy(size_t planIndex, const Candidate& candidate, const Option& option,
               std::string& counted, size_t& fromHistory);
  bool exempt(const ir::Cap& cap, std::string_view campaign, std::string_view group,
              bool transactional) const;
  bool inScope(const ir::Cap& cap, const Message& message) const;
  size_t capacityUsed(uint32_t channel, int64_t start, int64_t end) const;
  void step(const CustomerPlan& plan, std::string_view stage, std::string_view name,
            std::string_view campaign, std::string_view outcome, std::string_view detail = {});

  const ir::Program& program_;
  const runtime::Table& customers_;
  const ChunkedList<CustomerPlan>& plans_;
  ChunkedList<Candidate>& candidates_;
  const std::vector<Option>& options_;
  const std::vector<CapBounds>& caps_;
  std::vector<TraceStep>& trace_;
  std::vector<runtime::TimeZone> channelZones_;
  std::vector<std::vector<Message>> granted_;  // per plan
  std::vector<std::vector<Message>> history_;  // per plan
  // Per channel, the sorted times of every history message on it, for
  // capacity; and the messages granted per (channel, period start).
  std::vector<std::vector<int64_t>> historyTimes_;
  std::map<std::pair<uint32_t, int64_t>, size_t> capacityGranted_;
  std::vector<int64_t> times_;  // scratch for the messages a cap counts
};

void Arbiter::step(const CustomerPlan& plan, std::string_view stage, std::string_view name,
                   std::string_view campaign, std::string_view outcome, std::string_view detail) {
  if (!plan.trace) return;
  trace_.push_back({std::string(stage), std::string(name), std::string(campaign),
                    std::string(outcome), std::string(detail)});
}

void Arbiter::addHistory(const std::vector<history::Contact>& contacts) {
  // Naming every planned customer costs a string each, so an empty history
  // skips it.
  if (contacts.empty()) return;
  std::unordered_map<std::string_view, int> channelByName;
  for (size_t c = 0; c < program_.channels.size(); ++c) {
    channelByName[program_.channels[c].name] = static_cast<int>(c);
  }
  // Only the customers with candidates need their own history.
  std::unordered_map<std::string, size_t> planByKey;
  for (size_t p = 0; p < plans_.size(); ++p) planByKey[customers_.keyText(plans_[p].row)] = p;
  for (const auto& contact : contacts) {
    auto channel = channelByName.find(contact.channel);
    int index = channel == channelByName.end() ? -1 : channel->second;
    if (index >= 0) historyTimes_[index].push_back(contact.at);
    auto plan = planByKey.find(contact.customer);
    if (plan == planByKey.end()) continue;
    history_[plan->second].push_back(
        {contact.at, index, contact.campaign, contact.group, contact.transactional});
  }
  for (auto& times : historyTimes_) std::sort(times.begin(), times.end());
}

bool Arbiter::before(size_t a, size_t b) const {
  const Candidate& x = candidates_[a];
  const Candidate& y = candidates_[b];
  for (const ir::RankBy& key : program_.rank) {
    switch (key.key) {
      case ir::RankKey::Priority:
        if (x.decision.priority != y.decision.priority) {
          return key.descending == (x.decision.priority > y.decision.priority);
        }
        break;
      case ir::RankKey::ExpectedValue: {
        // A missing or NaN value ranks last in either direction.
        const Value& p = x.decision.expected;
        const Value& q = y.decision.expected;
        bool pNumber = expectedBefore(p, Value());
        bool qNumber = expectedBefore(q, Value());
        if (pNumber != qNumber) return pNumber;
        if (!pNumber) break;
        if (expectedBefore(p, q)) return key.descending;
        if (expectedBefore(q, p)) return !key.descending;
        break;
      }
      case ir::RankKey::Cost:
        if (x.cost != y.cost) return key.descending == (x.cost > y.cost);
        break;
    }
  }
  const std::string& left = program_.campaigns[x.decision.campaign].name;
  const std::string& right = program_.campaigns[y.decision.campaign].name;
  if (left != right) return left < right;
  return x.decision.customer < y.decision.customer;
}

bool Arbiter::exempt(const ir::Cap& cap, std::string_view campaign, std::string_view group,
                     bool transactional) const {
  if (transactional) return true;
  const ir::PressureBlock& block = program_.pressure[cap.block];
  for (const auto& name : block.exemptCampaigns) {
    if (name == campaign) return true;
  }
  if (!group.empty()) {
    for (const auto& name : block.exemptGroups) {
      if (name == group) return true;
    }
  }
  return false;
}

bool Arbiter::inScope(const ir::Cap& cap, const Message& message) const {
  if (exempt(cap, message.campaign, message.group, message.transactional)) return false;
  if (cap.channel >= 0 && message.channel != cap.channel) return false;
  if (!cap.group.empty() && message.group != cap.group) return false;
  return true;
}

size_t Arbiter::capacityUsed(uint32_t channel, int64_t start, int64_t end) const {
  const auto& times = historyTimes_[channel];
  size_t used = static_cast<size_t>(std::lower_bound(times.begin(), times.end(), end) -
                                    std::lower_bound(times.begin(), times.end(), start));
  auto granted = capacityGranted_.find({channel, start});
  return used + (granted == capacityGranted_.end() ? 0 : granted->second);
}

int Arbiter::cappedBy(size_t planIndex, const Candidate& candidate, const Option& option,
                      std::string& counted, size_t& fromHistory) {
  const CustomerPlan& plan = plans_[planIndex];
  const ir::Campaign& campaign = program_.campaigns[candidate.decision.campaign];
  Message self{option.at, static_cast<int>(option.channel), campaign.name, campaign.group,
               campaign.transactional};
  for (size_t c = 0; c < program_.caps.size(); ++c) {
    const ir::Cap& cap = program_.caps[c];
    if (!inScope(cap, self)) continue;
    int64_t limit = caps_[plan.firstCap + c].limit;
    std::vector<int64_t>& times = times_;
    times.clear();
    auto collect = [&](const std::vector<Message>& messages, int64_t from, int64_t to) {
      for (const Message& m : messages) {
        if (m.at >= from && m.at < to && inScope(cap, m)) times.push_back(m.at);
      }
    };
    bool capped = false;
    std::string window;
    if (cap.calendar) {
      const runtime::TimeZone& zone = *plan.zone;
      int64_t current = periodStart(cap.period, option.at, zone);
      int64_t from = shiftPeriods(cap.period, current, 1 - cap.periods, zone);
      int64_t to = shiftPeriods(cap.period, current, 1, zone);
      collect(history_[planIndex], from, to);
      fromHistory = times.size();
      collect(granted_[planIndex], from, to);
      capped = static_cast<int64_t>(times.size()) + 1 > limit;
      if (plan.trace) {
        window = formatLocal(from, zone) + " to " + formatLocal(to, zone);
        counted = std::to_string(times.size()) + " of " + std::to_string(limit) + " in " + window;
      }
    } else {
      // Every window of this length that contains the candidate may contain
      // at most `limit` messages. Two messages share a window when they are
      // less than its length apart.
      int64_t length = caps_[plan.firstCap + c].window;
      int64_t from = option.at - length + 1;
      int64_t to = option.at + length;
      collect(history_[planIndex], from, to);
      fromHistory = times.size();
      collect(granted_[planIndex], from, to);
      size_t before = 0;
      for (int64_t t : times) before += t <= option.at ? 1 : 0;
      times.push_back(option.at);
      std::sort(times.begin(), times.end());
      size_t self = static_cast<size_t>(std::find(times.begin(), times.end(), option.at) -
                                        times.begin());
      // Give the candidate the latest position among equal times.
      while (self + 1 < times.size() && times[self + 1] == option.at) ++self;
      size_t end = self;
      for (size_t start = 0; start <= self && !capped; ++start) {
        if (option.at - times[start] >= length) continue;
        while (end + 1 < times.size() && times[end + 1] - times[start] < length) ++end;
        if (static_cast<int64_t>(end - start + 1) > limit) capped = true;
      }
      if (plan.trace) {
        counted = std::to_string(before) + " of " + std::to_string(limit) + " in the " +
                  runtime::formatShortDuration(length) + " before " +
                  runtime::formatTimestamp(option.at);
      }
    }
    if (capped) return static_cast<int>(c);
    if (plan.trace) {
      step(plan, "cap", cap.text, campaign.name,
           "room on " + program_.channels[option.channel].name, counted);
    }
  }
  return -1;
}

void Arbiter::decide(size_t planIndex, Candidate& candidate) {
  const CustomerPlan& plan = plans_[planIndex];
  Decision& decision = candidate.decision;
  const ir::Campaign& campaign = program_.campaigns[decision.campaign];
  std::string firstReason;
  std::string firstRule;
  std::string firstWinner;
  for (size_t o = 0; o < candidate.optionCount; ++o) {
    const Option& option = options_[candidate.firstOption + o];
    const ir::Channel& channel = program_.channels[option.channel];
    std::string reason;
    if (channel.capacity >= 0) {
      const runtime::TimeZone& zone = channelZones_[option.channel];
      int64_t start = periodStart(channel.capacityPeriod, option.at, zone);
      int64_t end = shiftPeriods(channel.capacityPeriod, start, 1, zone);
      size_t used = capacityUsed(option.channel, start, end);
      std::string counted;
      if (plan.trace) {
        counted = std::to_string(used) + " of " + std::to_string(channel.capacity) + " per " +
                  periodName(channel.capacityPeriod) + " from " + formatLocal(start, zone);
      }
      if (static_cast<int64_t>(used) >= channel.capacity) {
        reason = "no capacity";
        if (plan.trace) step(plan, "capacity", channel.name, campaign.name, "full", counted);
        if (firstReason.empty()) {
          firstReason = reason;
          firstRule = "capacity of " + channel.name;
        }
        continue;
      }
      if (plan.trace) step(plan, "capacity", channel.name, campaign.name, "room", counted);
    }
    std::string counted;
    size_t fromHistory = 0;
    int cap = cappedBy(planIndex, candidate, option, counted, fromHistory);
    if (cap >= 0) {
      const ir::Cap& rule = program_.caps[cap];
      // The winner: the latest message of this run that the rule counts,
      // or the history when the room was gone before the run. A limit of
      // zero has no winner.
      std::string winner = fromHistory > 0 ? "history" : "";
      for (auto m = granted_[planIndex].rbegin(); m != granted_[planIndex].rend(); ++m) {
        if (inScope(rule, *m)) {
          winner = std::string(m->campaign);
          break;
        }
      }
      if (plan.trace) {
        step(plan, "cap", rule.text, campaign.name, "capped on " + channel.name,
             counted + (winner.empty() ? "" : "; winner: " + winner));
      }
      if (firstReason.empty()) {
        firstReason = "capped by `" + rule.text + "`";
        firstRule = rule.text;
        firstWinner = winner;
      }
      continue;
    }
    decision.channel = static_cast<int>(option.channel);
    decision.at = option.at;
    decision.deferred = option.deferred;
    Message message{option.at, static_cast<int>(option.channel), campaign.name, campaign.group,
                    campaign.transactional};
    granted_[planIndex].push_back(message);
    if (channel.capacity >= 0) {
      const runtime::TimeZone& zone = channelZones_[option.channel];
      ++capacityGranted_[{option.channel, periodStart(channel.capacityPeriod, option.at, zone)}];
    }
    decision.rank = static_cast<uint32_t>(granted_[planIndex].size());
    if (plan.trace) {
      step(plan, "decision", campaign.name, campaign.name, "send via " + channel.name,
           "at " + formatLocal(option.at, *plan.zone) + (option.deferred ? " (deferred)" : ""));
    }
    return;
  }
  decision.reason = firstReason;
  decision.rule = firstRule;
  decision.winner = firstWinner;
  step(plan, "decision", campaign.name, campaign.name, "dropped", decision.reason);
}

void Arbiter::run() {
  bool capacity = std::any_of(program_.channels.begin(), program_.channels.end(),
                              [](const ir::Channel& c) { return c.capacity >= 0; });
  auto live = [&](size_t i) { return candidates_[i].decision.reason.empty(); };
  std::vector<size_t> planOf(candidates_.size());
  for (size_t p = 0; p < plans_.size(); ++p) {
    for (size_t i = 0; i < plans_[p].candidateCount; ++i) planOf[plans_[p].firstCandidate + i] = p;
  }
  auto compare = [&](size_t a, size_t b) { return before(a, b); };
  if (capacity) {
    // Capacity is shared, so the best candidates of all customers go first.
    std::vector<size_t> order;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (live(i)) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), compare);
    for (size_t i : order) decide(planOf[i], candidates_[i]);
    return;
  }
  // Without capacity, customers do not compete: each one's candidates in
  // its own rank order give the same result.
  std::vector<size_t> order;
  for (size_t p = 0; p < plans_.size(); ++p) {
    order.clear();
    for (size_t i = 0; i < plans_[p].candidateCount; ++i) {
      if (live(plans_[p].firstCandidate + i)) order.push_back(plans_[p].firstCandidate + i);
    }
    std::sort(order.begin(), order.end(), compare);
    for (size_t i : order) decide(p, candidates_[i]);
  }
}

}  // namespace

void RunPlans::append(RunPlans&& other) {
  size_t candidateOffset = candidates.size();
  size_t optionOffset = options.size();
  size_t capOffset = caps.size();
  for (size_t p = 0; p < other.plans.size(); ++p) {
    CustomerPlan& plan = other.plans[p];
    plan.firstCandidate += candidateOffset;
    plan.firstCap += capOffset;
    plans.push_back(std::move(plan));
  }
  for (size_t c = 0; c < other.candidates.size(); ++c) {
    Candidate& candidate = other.candidates[c];
    candidate.firstOption += optionOffset;
    candidates.push_back(std::move(candidate));
  }
  options.insert(options.end(), other.options.begin(), other.options.end());
  caps.insert(caps.end(), other.caps.begin(), other.caps.end());
  other = RunPlans();
}

void arbitrate(const ir::Program& program, const runtime::Table& customers, RunPlans& plans,
               const std::vector<history::Contact>* contacts, std::vector<TraceStep>& trace) {
  Arbiter arbiter(program, customers, plans, trace);
  if (contacts != nullptr) arbiter.addHistory(*contacts);
  arbiter.run();
}

}  // namespace crm::run::internal
