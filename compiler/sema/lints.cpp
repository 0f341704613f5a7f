// Warnings about legal but suspicious scripts. Each has its own code and can
// be silenced with a `crm:allow(CODE)` comment or `--allow CODE`.
#include "compiler/sema/checker.h"

namespace crm::sema::internal {

namespace {

bool isLiteral(const ast::Expr& expr) {
  if (expr.kind == ast::ExprKind::Literal) return true;
  // A negated number is still a literal for this purpose.
  return expr.kind == ast::ExprKind::Unary && ast::as<ast::Unary>(expr).op == ast::UnaryOp::Negate &&
         ast::as<ast::Unary>(expr).operand->kind == ast::ExprKind::Literal;
}

}  // namespace

// W0102: a campaign whose every channel has `reachable: false` or a capacity
// of zero can never send.
void Checker::lintUnreachableCampaigns() {
  for (ast::Script* script : program_.scripts) {
    for (auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Campaign) continue;
      const auto& campaign = ast::as<ast::CampaignDecl>(*decl);
      const ast::Property* channels = nullptr;
      for (const auto& property : campaign.properties) {
        if (property.name.text == "channels") channels = &property;
      }
      if (channels == nullptr || channels->values.empty()) continue;
      bool allClosed = true;
      for (const auto& value : channels->values) {
        if (value->kind != ast::ExprKind::Ident) {
          allClosed = false;
          break;
        }
        const ast::Decl* channelDecl = ast::as<ast::Ident>(*value).decl;
        if (channelDecl == nullptr || channelDecl->kind != ast::DeclKind::Channel) {
          allClosed = false;
          break;
        }
        bool closed = false;
        for (const auto& property : ast::as<ast::ChannelDecl>(*channelDecl).properties) {
          if (property.values.size() != 1) continue;
          const ast::Expr& v = *property.values[0];
          if (property.name.text == "reachable" && v.kind == ast::ExprKind::Literal &&
              ast::as<ast::Literal>(v).literalKind == ast::LiteralKind::Bool &&
              ast::as<ast::Literal>(v).intValue == 0) {
            closed = true;
          }
          if (property.name.text == "capacity" && property.form == ast::PropertyForm::Rate &&
              v.kind == ast::ExprKind::Literal && ast::as<ast::Literal>(v).intValue == 0) {
            closed = true;
          }
        }
        allClosed = allClosed && closed;
      }
      if (allClosed) {
        diagnostics_.report(diag::Code::W0102, channels->range,
                            "campaign `" + campaign.name.text +
                                "` can never send: every channel it lists is unreachable "
                                "(`reachable: false` or a capacity of 0)")
            .withHelp("add a channel that can reach customers");
      }
    }
  }
}

// W0103: a comparison of two literals, or of a path with itself, always has
// the same result. An expression checked on its own in CEL mode may compare
// literals on purpose, as a test of the language does, so there only the
// comparison of a path with itself is reported.
void Checker::lintConstantComparison(const ast::Binary& binary) {
  bool literals = !cel_ && isLiteral(*binary.lhs) && isLiteral(*binary.rhs);
  auto left = pathOf(*binary.lhs);
  auto right = pathOf(*binary.rhs);
  bool samePath = left && right && *left == *right;
  if (!literals && !samePath) return;
  diagnostics_.report(diag::Code::W0103, binary.range,
                      std::string("this `") + ast::spelling(binary.op) +
                          "` comparison has the same result for every customer")
      .withHelp(samePath ? "a value compared with itself; compare it with another value"
                         : "both sides are literals; write `true` or `false`, or compare a field");
}

}  // namespace crm::sema::internal

namespace crm::sema {

void reportUnused(const ast::Script& root, const std::set<const ast::Decl*>& used,
                  const std::set<const ast::Decl*>& duplicates,
                  diag::DiagnosticEngine& diagnostics) {
  for (const auto& decl : root.decls) {
    bool candidate = decl->kind == ast::DeclKind::Segment || decl->kind == ast::DeclKind::Let ||
                     decl->kind == ast::DeclKind::Recommend;
    if (!candidate || duplicates.count(decl.get()) != 0 || used.count(decl.get()) != 0) continue;
    diagnostics.report(diag::Code::W0101, decl->name.range,
                       std::string(ast::spelling(decl->kind)) + " `" + decl->name.text +
                           "` is never used")
        .withHelp("use it in a campaign, segment or test, remove it, or silence this with "
                  "`// crm:allow(W0101)`");
  }
}

}  // namespace crm::sema
