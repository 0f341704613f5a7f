// The recommendation functions over the catalog hierarchy and the
// customers' activity: favourite, purchased, viewed, carted, popular,
// bought_together, similar, and the offer list operations diverse, fallback
// and take. What several customers share (the hierarchy, popularity and
// co-purchase counts) is built once per store and instant, and kept in
// Store::derived for every thread of the run.
#pragma once

#include <cstddef>

#include "stdlib/builtins.h"

namespace crm::stdlib {

bool isRecommendationBuiltin(Builtin builtin);

// Calls one of the functions above. Arguments are checked here: an error
// argument is the result, and a wrong kind or value is an error.
runtime::Value callRecommendation(Builtin builtin, const runtime::Value* arguments, size_t count,
                                  const BuiltinContext& context);

}  // namespace crm::stdlib
