#include "compiler/driver/expression.h"

#include <cctype>
#include <set>

#include "compiler/driver/script_loader.h"
#include "compiler/sema/checker.h"

namespace crm::driver {
namespace {

constexpr const char* kDeclarationsFile = "<declarations>";
constexpr const char* kTypeHelp =
    "write a CEL type such as `int`, `string`, `dyn`, `list(int)` or `map(string, int)`";

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `name` is identifiers joined by dots, such as `a.b.c`.
bool isQualifiedName(const std::string& name) {
  bool segmentStart = true;
  for (char c : name) {
    if (c == '.') {
      if (segmentStart) return false;
      segmentStart = true;
    } else if (segmentStart ? !isNameStart(c) : !isNameChar(c)) {
      return false;
    } else {
      segmentStart = false;
    }
  }
  return !segmentStart;
}

// Bytes that diagnostics should not print raw become `?`. Every byte that
// could be part of a valid name or type is printable ASCII, so the
// replacement keeps each error at its position.
std::string printable(const std::string& text) {
  std::string result = text;
  for (char& c : result) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) c = '?';
  }
  return result;
}

// A character of a type name for a message.
std::string describeChar(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) {
    return "`" + std::string(1, c) + "`";
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
}

// Parses a CEL type name into an ast::TypeRef, which the checker resolves.
// The text sits at byte `base` of the declarations file, so that errors
// point into it.
class TypeNameParser {
 public:
  TypeNameParser(std::string_view text, source::FileId file, uint32_t base,
                 diag::DiagnosticEngine& diagnostics)
      : text_(text), file_(file), base_(base), diagnostics_(diagnostics) {}

  std::optional<ast::TypeRef> parse() {
    skipSpaces();
    if (pos_ == text_.size()) {
      fail("the type is missing");
      return std::nullopt;
    }
    auto ref = type(0);
    skipSpaces();
    if (ref && pos_ < text_.size()) {
      fail("unexpected " + describeChar(text_[pos_]) + " after the type");
      return std::nullopt;
    }
    return ref;
  }

 private:
  // The type at the current position. `depth` bounds the recursion.
  std::optional<ast::TypeRef> type(size_t depth) {
    constexpr size_t kMaxDepth = 64;
    if (depth > kMaxDepth) {
      fail("the type is nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return std::nullopt;
    }

    skipSpaces();
    size_t start = pos_;
    while (pos_ < text_.size() && (isNameChar(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    if (start == pos_ || !isNameStart(text_[start])) {
      pos_ = start;
      fail(pos_ < text_.size() ? "expected a type name, not " + describeChar(text_[pos_])
                               : "expected a type name");
      return std::nullopt;
    }
    ast::TypeRef ref;
    ref.name = {std::string(text_.substr(start, pos_ - start)), rangeOf(start, pos_)};
    // CEL declarations name these two by their protobuf types.
    if (ref.name.text == "google.protobuf.Timestamp") ref.name.text = "timestamp";
    if (ref.name.text == "google.protobuf.Duration") ref.name.text = "duration";

    skipSpaces();
    if (pos_ < text_.size() && (text_[pos_] == '(' || text_[pos_] == '<')) {
      char close = text_[pos_] == '(' ? ')' : '>';
      ++pos_;
      while (true) {
        auto argument = type(depth + 1);
        if (!argument) return std::nullopt;
        ref.arguments.push_back(std::move(*argument));
        skipSpaces();
        if (pos_ == text_.size() || text_[pos_] != ',') break;
        ++pos_;
      }
      if (pos_ == text_.size() || text_[pos_] != close) {
        fail(std::string("expected `") + close + "` or `,`");
        return std::nullopt;
      }
      ++pos_;
    }
    ref.range = rangeOf(start, pos_);
    return ref;
  }

  void skipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  source::SourceRange rangeOf(size_t begin, size_t end) const {
    return {file_, base_ + static_cast<uint32_t>(begin), base_ + static_cast<uint32_t>(end)};
  }

  void fail(const std::string& reason) {
    size_t end = pos_ < text_.size() ? pos_ + 1 : pos_;
    diagnostics_
        .report(diag::Code::E0208, rangeOf(pos_, end),
                "invalid type `" + printable(std::string(text_)) + "`: " + reason)
        .withHelp(kTypeHelp);
  }

  std::string_view text_;
  source::FileId file_;
  uint32_t base_;
  diag::DiagnosticEngine& diagnostics_;
  size_t pos_ = 0;
};

// Writes the declarations as the lines `name: type` of a file of their own,
// and turns each validly named one into an external for the checker.
std::vector<sema::External> declare(const std::vector<Declaration>& declarations,
                                    Compilation& compilation) {
  std::vector<sema::External> externals;
  if (declarations.empty()) {
    return externals;
  }
  std::string text;
  std::vector<std::pair<uint32_t, uint32_t>> starts;  // of each name and type
  for (const auto& declaration : declarations) {
    auto nameStart = static_cast<uint32_t>(text.size());
    text += printable(declaration.name) + ": ";
    starts.emplace_back(nameStart, static_cast<uint32_t>(text.size()));
    text += printable(declaration.celType) + "\n";
  }
  const auto& file = compilation.sources.add(kDeclarationsFile, text);
  auto& diagnostics = *compilation.diagnostics;
  for (size_t i = 0; i < declarations.size(); ++i) {
    const Declaration& declaration = declarations[i];
    auto [nameStart, typeStart] = starts[i];
    source::SourceRange nameRange{file.id(), nameStart,
                                  nameStart + static_cast<uint32_t>(declaration.name.size())};
    auto typeRef = TypeNameParser(declaration.celType, file.id(), typeStart, diagnostics).parse();
    if (!isQualifiedName(declaration.name)) {
      diagnostics
          .report(diag::Code::E0010, nameRange,
                  "invalid variable name `" + printable(declaration.name) + "`")
          .withHelp("a variable name is identifiers joined by dots, such as `x` or `a.b`");
      continue;
    }
    // A type that did not parse is already reported, and the checker leaves
    // a type that is already set alone.
    const ast::Type* type = typeRef ? nullptr : compilation.types.error();
    externals.push_back({{declaration.name, nameRange}, typeRef.value_or(ast::TypeRef{}), type});
  }
  return externals;
}

}  // namespace

ExpressionCompilation checkExpression(const ExpressionInput& input, const CheckOptions& options) {
  ExpressionCompilation result;
  result.compilation = std::make_unique<Compilation>();
  Compilation& compilation = *result.compilation;
  compilation.diagnostics =
      std::make_unique<diag::DiagnosticEngine>(compilation.sources, options.errorLimit);
  for (diag::Code code : options.allowed) {
    compilation.diagnostics->allow(code);
  }
  runWithLargeStack([&] {
    internal::ScriptLoader loader{compilation, options, {}, {}, {}, &input.fileTexts};
    sema::Program program;
    ast::Script* root = nullptr;
    if (input.scriptPath) {
      root = loader.load(*input.scriptPath, std::nullopt, {});
      if (root != nullptr) {
        loader.collect(root, program.scripts, program.brokenNames);
        program.rootHasBrokenDeclarations = loader.withBrokenDeclarations.count(root) != 0;
      }
    }
    for (const auto& inlineScript : input.inlineScripts) {
      const auto& file = compilation.sources.add(inlineScript.path, inlineScript.text.value_or(""));
      auto parsed = parse::parseFile(file, *compilation.diagnostics, options.limits);
      compilation.scripts.push_back(std::make_unique<ast::Script>(std::move(parsed.script)));
      program.scripts.push_back(compilation.scripts.back().get());
      program.brokenNames.insert(program.brokenNames.end(), parsed.brokenNames.begin(),
                                 parsed.brokenNames.end());
    }
    program.externals = declare(input.declarations, compilation);
    if (input.text) {
      const auto& file = compilation.sources.add(input.textName, *input.text);
      compilation.expression =
          parse::parseExpression(file, *compilation.diagnostics, options.limits);
    }

    // Without the script, names that it declares would only be reported as
    // unknown, so the expression is not checked.
    if (!input.scriptPath || root != nullptr) {
      program.expression = compilation.expression.get();
      program.celMode = true;
      sema::check(program, compilation.types, *compilation.diagnostics);
      if (root != nullptr && !program.rootHasBrokenDeclarations) {
        sema::reportUnused(*root, program.used, program.duplicates, *compilation.diagnostics);
      }
    }
    std::set<std::string> seen;
    for (const auto& external : program.externals) {
      if (seen.insert(external.name.text).second) {
        result.variables.emplace_back(external.name.text, external.type);
      }
    }
  });
  result.expression = compilation.expression.get();
  if (result.expression != nullptr) {
    result.type = result.expression->type;
  }
  return result;
}

}  // namespace crm::driver
