// Coverage: the declarations that the tests of a file exercised.
#include "run/run.h"
#include "testrun/internal.h"
#include "testrun/runner.h"

namespace crm::testrun {
namespace internal {
namespace {

Place placeOf(const source::SourceManager& sources, source::SourceRange range) {
  if (!range.valid()) return {};
  const source::SourceFile& file = sources.file(range.file);
  source::LineColumn at = file.lineColumn(range.begin);
  return {file.path(), at.line, at.column};
}

}  // namespace

void collectDeclarations(FileProgram& file, Coverage& coverage) {
  const auto& sources = file.compilation->sources;
  for (const ast::Script* script : file.schema.scripts) {
    for (const auto& decl : script->decls) {
      Place where = placeOf(sources, decl->name.range);
      switch (decl->kind) {
        case ast::DeclKind::Segment:
          file.segments[decl->name.text] = where;
          coverage.segments[where].name = decl->name.text;
          break;
        case ast::DeclKind::Campaign:
          file.campaigns[decl->name.text] = where;
          coverage.campaigns[where].name = decl->name.text;
          break;
        case ast::DeclKind::Channel:
          file.channels[decl->name.text] = where;
          coverage.channels[where].name = decl->name.text;
          break;
        case ast::DeclKind::Pressure:
          for (const auto& rule : ast::as<ast::PressureDecl>(*decl).rules) {
            if (rule.kind != ast::PressureRuleKind::Cap) continue;
            const auto& text = sources.file(rule.range.file).text();
            Place place = placeOf(sources, rule.range);
            file.caps.push_back(place);
            coverage.caps[place].text =
                text.substr(rule.range.begin, rule.range.end - rule.range.begin);
          }
          break;
        default:
          break;
      }
    }
  }
}

void recordCoverage(const FileProgram& file, const run::RunResult& result, Coverage& coverage) {
  const ir::Program& program = *file.program;
  std::vector<uint32_t> segments = program.segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    auto where = file.segments.find(program.declarations[segments[i]].name);
    if (where == file.segments.end()) continue;
    auto& segment = coverage.segments[where->second];
    ++(result.members[i].empty() ? segment.notHeld : segment.held);
  }
  for (const auto& decision : result.decisions) {
    if (decision.channel < 0) {
      // A cap is exercised when it dropped a candidate.
      for (size_t c = 0; c < program.caps.size() && c < file.caps.size(); ++c) {
        if (!decision.rule.empty() && program.caps[c].text == decision.rule) {
          ++coverage.caps[file.caps[c]].capped;
        }
      }
      continue;
    }
    auto campaign = file.campaigns.find(program.campaigns[decision.campaign].name);
    if (campaign != file.campaigns.end()) ++coverage.campaigns[campaign->second].sends;
    auto channel = file.channels.find(program.channels[decision.channel].name);
    if (channel != file.channels.end()) ++coverage.channels[channel->second].sends;
  }
}

}  // namespace internal

void Coverage::merge(const Coverage& other) {
  for (const auto& [where, segment] : other.segments) {
    auto& mine = segments[where];
    mine.name = segment.name;
    mine.held += segment.held;
    mine.notHeld += segment.notHeld;
  }
  for (const auto& [where, use] : other.campaigns) {
    campaigns[where].name = use.name;
    campaigns[where].sends += use.sends;
  }
  for (const auto& [where, use] : other.channels) {
    channels[where].name = use.name;
    channels[where].sends += use.sends;
  }
  for (const auto& [where, cap] : other.caps) {
    caps[where].text = cap.text;
    caps[where].capped += cap.capped;
  }
}

}  // namespace crm::testrun
