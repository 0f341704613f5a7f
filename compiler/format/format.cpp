#include "compiler/format/format.h"

#include <stdexcept>
#include <string_view>

#include "compiler/format/doc.h"
#include "compiler/format/printer.h"
#include "compiler/format/structure.h"
#include "compiler/parse/parser.h"

namespace crm::format {
namespace {

// The comments' texts without the spaces and tabs at the end of each of
// their lines, which the layout drops as it drops all trailing white space.
std::vector<std::string> commentTexts(const source::SourceFile& file,
                                      const std::vector<ast::Comment>& comments) {
  std::vector<std::string> texts;
  for (const auto& comment : comments) {
    std::string_view text = std::string_view(file.text())
                                .substr(comment.range.begin, comment.range.end - comment.range.begin);
    std::string trimmed;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
      size_t last = line.find_last_not_of(" \t");
      trimmed += line.substr(0, last == std::string_view::npos ? 0 : last + 1);
      if (end == std::string_view::npos) break;
      trimmed += '\n';
      start = end + 1;
    }
    texts.push_back(std::move(trimmed));
  }
  return texts;
}

// Parses `formatted` and compares its tree and comments with the input's.
void verify(const source::SourceFile& file, const parse::ParseResult& original,
            const std::string& formatted) {
  source::SourceManager sources;
  const source::SourceFile& again = sources.add(file.path(), formatted);
  diag::DiagnosticEngine diagnostics(sources);
  parse::ParseResult reparsed = parse::parseFile(again, diagnostics);
  std::string problem;
  if (diagnostics.errorCount() > 0 || reparsed.hasBrokenDeclarations) {
    problem = "the formatted text does not parse";
  } else if (dumpStructure(reparsed.script) != dumpStructure(original.script)) {
    problem = "the formatted text parses into a different program";
  } else if (commentTexts(again, reparsed.script.comments) !=
             commentTexts(file, original.script.comments)) {
    problem = "the formatted text lost or changed a comment";
  }
  if (!problem.empty()) {
    throw std::logic_error("formatting " + file.path() + ": " + problem);
  }
}

}  // namespace

std::optional<std::string> formatScript(const source::SourceFile& file,
                                        diag::DiagnosticEngine& diagnostics,
                                        const Options& options) {
  size_t errorsBefore = diagnostics.errorCount();
  parse::ParseResult parsed = parse::parseFile(file, diagnostics);
  if (diagnostics.errorCount() > errorsBefore || parsed.hasBrokenDeclarations) {
    return std::nullopt;
  }

  internal::Printer printer(file, parsed.script.comments);
  std::string formatted = internal::render(printer.script(parsed.script), options.width);
  if (formatted == "\n") {
    formatted.clear();  // an empty file stays empty
  }

  verify(file, parsed, formatted);
  return formatted;
}

}  // namespace crm::format
