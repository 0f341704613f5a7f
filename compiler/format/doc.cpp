#include "compiler/format/doc.h"

#include <algorithm>

namespace crm::format::internal {
namespace {

bool anyBreaks(const std::vector<Doc>& parts) {
  return std::any_of(parts.begin(), parts.end(), [](const Doc& part) { return part->breaks; });
}

Doc make(DocKind kind, std::vector<Doc> parts) {
  auto node = std::make_shared<DocNode>();
  node->kind = kind;
  node->breaks = anyBreaks(parts);
  node->parts = std::move(parts);
  return node;
}

Doc makeLine(LineKind kind) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::Line;
  node->line = kind;
  node->breaks = kind == LineKind::Hard || kind == LineKind::Blank;
  return node;
}

size_t codePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

enum class Mode { Flat, Break };

// Marks the internal node that decides one separator of a fill.
constexpr const char* kSeparator = "fill separator";

struct Command {
  size_t indent;
  Mode mode;
  const DocNode* doc;
};

class Renderer {
 public:
  explicit Renderer(size_t width) : width_(width) {}

  std::string run(const Doc& doc) {
    commands_.push_back({0, Mode::Break, doc.get()});
    while (!commands_.empty()) {
      Command command = commands_.back();
      commands_.pop_back();
      step(command);
    }
    flushSuffixes();
    trimTrailingSpaces();
    return out_;
  }

 private:
  void step(const Command& command) {
    const DocNode& doc = *command.doc;
    switch (doc.kind) {
      case DocKind::Text:
        if (doc.comment && !suffixes_.empty()) {
          breakBefore(command);
          break;
        }
        emit(doc.text);
        break;
      case DocKind::Concat:
        pushAll(doc.parts, command.indent, command.mode);
        break;
      case DocKind::Indent:
        commands_.push_back({command.indent + 2, command.mode, doc.parts[0].get()});
        break;
      case DocKind::Align:
        commands_.push_back({column_, command.mode, doc.parts[0].get()});
        break;
      case DocKind::Group: {
        Command flat{command.indent, Mode::Flat, doc.parts[0].get()};
        bool flatFits = !doc.breaks && (command.mode == Mode::Flat || fits(flat));
        commands_.push_back(flatFits ? flat
                                     : Command{command.indent, Mode::Break, doc.parts[0].get()});
        break;
      }
      case DocKind::IfBreak:
        commands_.push_back({command.indent, command.mode,
                             (command.mode == Mode::Break ? doc.parts[0] : doc.parts[1]).get()});
        break;
      case DocKind::LineSuffix:
        if (!suffixes_.empty()) {
          breakBefore(command);  // two line comments cannot share a line
          break;
        }
        suffixes_.push_back({command.indent, command.mode, doc.parts[0].get()});
        break;
      case DocKind::Conditional:
        chooseLayout(doc, command);
        break;
      case DocKind::Fill:
        if (doc.text == kSeparator) {
          separatorStep(doc, command);
        } else {
          fillStep(doc, command);
        }
        break;
      case DocKind::Line:
        lineStep(doc, command);
        break;
    }
  }

  // Prints the waiting line comment and a line break before `command`.
  void breakBefore(const Command& command) {
    commands_.push_back(command);
    commands_.push_back({command.indent, Mode::Break, hardlineNode_.get()});
  }

  void pushAll(const std::vector<Doc>& parts, size_t indent, Mode mode) {
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      commands_.push_back({indent, mode, it->get()});
    }
  }

  void chooseLayout(const DocNode& doc, const Command& command) {
    const auto& layouts = doc.parts;
    if (command.mode == Mode::Flat) {
      commands_.push_back({command.indent, Mode::Flat, layouts[0].get()});
      return;
    }
    Command flat{command.indent, Mode::Flat, layouts[0].get()};
    if (!layouts[0]->breaks && fits(flat)) {
      commands_.push_back(flat);
      return;
    }
    for (size_t i = 0; i + 1 < layouts.size(); ++i) {
      Command candidate{command.indent, Mode::Break, layouts[i].get()};
      if (fits(candidate)) {
        commands_.push_back(candidate);
        return;
      }
    }
    commands_.push_back({command.indent, Mode::Break, layouts.back().get()});
  }

  // Contents are printed in break mode, so that a group around each one
  // decides for itself. A separator is flat when the content after it fits
  // flat on the rest of the line.
  void fillStep(const DocNode& doc, const Command& command) {
    const auto& items = doc.parts;
    if (command.mode == Mode::Flat) {
      pushAll(items, command.indent, Mode::Flat);
      return;
    }
    for (size_t i = items.size(); i-- > 0;) {
      if (i % 2 == 0) {
        commands_.push_back({command.indent, Mode::Break, items[i].get()});
        continue;
      }
      auto separator = std::make_shared<DocNode>();
      separator->kind = DocKind::Fill;
      separator->text = kSeparator;
      separator->parts = {items[i], concat({items[i], items[i + 1]})};
      separators_.push_back(separator);
      commands_.push_back({command.indent, Mode::Break, separator.get()});
    }
  }

  void separatorStep(const DocNode& doc, const Command& command) {
    Command flat{command.indent, Mode::Flat, doc.parts[1].get()};
    bool flatFits = !doc.parts[1]->breaks && fits(flat, false);
    commands_.push_back({command.indent, flatFits ? Mode::Flat : Mode::Break,
                         doc.parts[0].get()});
  }

  void lineStep(const DocNode& doc, const Command& command) {
    if (command.mode == Mode::Flat && (doc.line == LineKind::Space || doc.line == LineKind::Soft)) {
      if (doc.line == LineKind::Space) emit(" ");
      return;
    }
    if (!suffixes_.empty()) {
      commands_.push_back(command);
      if (!atLineStart()) trimTrailingSpaces();
      flushSuffixes();
      return;
    }
    newline(command.indent, doc.line == LineKind::Blank);
  }

  void flushSuffixes() {
    std::vector<Command> pending;
    pending.swap(suffixes_);
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      commands_.push_back(*it);
    }
  }

  // Starts a new line at `indent`. On a line that contains only
  // indentation, the indentation is replaced instead, so that breaks never
  // stack up into empty lines unless `blank` requests one.
  void newline(size_t indent, bool blank) {
    trimTrailingSpaces();
    bool atLineStart = out_.empty() || out_.back() == '\n';
    if (!atLineStart) {
      out_ += '\n';
    }
    if (blank && !out_.empty()) {
      bool previousEmpty = out_.size() >= 2 && out_[out_.size() - 2] == '\n';
      if (!previousEmpty) out_ += '\n';
    }
    out_.append(indent, ' ');
    column_ = indent;
  }

  bool atLineStart() const {
    size_t lineStart = out_.rfind('\n');
    lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
    return out_.find_first_not_of(' ', lineStart) == std::string::npos;
  }

  void trimTrailingSpaces() {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
  }

  void emit(const std::string& value) {
    if (!value.empty() && value[0] == ' ' && atLineStart()) {
      emit(value.substr(1));  // a trailing comment moved to a line of its own
      return;
    }
    out_ += value;
    size_t lastBreak = value.rfind('\n');
    column_ = lastBreak == std::string::npos ? column_ + codePoints(value)
                                             : codePoints(value.substr(lastBreak + 1));
  }

  // Whether `next` fits on the rest of the line: its text up to its first
  // line break in break mode, and then the commands after it.
  bool fits(const Command& next, bool withRest = true) const {
    long remaining = static_cast<long>(width_) - static_cast<long>(column_);
    std::vector<std::pair<Mode, const DocNode*>> stack{{next.mode, next.doc}};
    size_t rest = withRest ? commands_.size() : 0;
    while (remaining >= 0) {
      if (stack.empty()) {
        if (rest == 0) return true;
        --rest;
        stack.push_back({commands_[rest].mode, commands_[rest].doc});
        continue;
      }
      auto [mode, doc] = stack.back();
      stack.pop_back();
      switch (doc->kind) {
        case DocKind::Text: {
          size_t lineBreak = doc->text.find('\n');
          remaining -= static_cast<long>(codePoints(doc->text.substr(0, lineBreak)));
          if (lineBreak != std::string::npos) return remaining >= 0;
          break;
        }
        case DocKind::Concat:
        case DocKind::Fill:
          if (doc->kind == DocKind::Fill && doc->text == kSeparator) {
            stack.push_back({mode, doc->parts[0].get()});
            break;
          }
          for (auto it = doc->parts.rbegin(); it != doc->parts.rend(); ++it) {
            stack.push_back({mode, it->get()});
          }
          break;
        case DocKind::Indent:
        case DocKind::Align:
          stack.push_back({mode, doc->parts[0].get()});
          break;
        case DocKind::LineSuffix:
          break;  // printed at the next line break, so it takes no width here
        case DocKind::Group:
        case DocKind::Conditional:
          stack.push_back({doc->breaks ? Mode::Break : mode, doc->parts[0].get()});
          break;
        case DocKind::IfBreak:
          stack.push_back({mode, (mode == Mode::Break ? doc->parts[0] : doc->parts[1]).get()});
          break;
        case DocKind::Line:
          if (mode == Mode::Break || doc->line == LineKind::Hard ||
              doc->line == LineKind::Blank) {
            return true;
          }
          if (doc->line == LineKind::Space) --remaining;
          break;
      }
    }
    return false;
  }

  size_t width_;
  std::string out_;
  size_t column_ = 0;
  std::vector<Command> commands_;
  std::vector<Command> suffixes_;
  std::vector<Doc> separators_;  // keeps the separator commands of fills alive
  Doc hardlineNode_ = hardline();
};

}  // namespace

Doc text(std::string value) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::Text;
  node->breaks = value.find('\n') != std::string::npos;
  node->text = std::move(value);
  return node;
}

Doc commentText(std::string value) {
  auto node = std::make_shared<DocNode>(*text(std::move(value)));
  node->comment = true;
  return node;
}

Doc concat(std::vector<Doc> parts) { return make(DocKind::Concat, std::move(parts)); }
Doc line() { return makeLine(LineKind::Space); }
Doc softline() { return makeLine(LineKind::Soft); }
Doc hardline() { return makeLine(LineKind::Hard); }
Doc blankline() { return makeLine(LineKind::Blank); }

Doc breakParent() {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::Text;
  node->breaks = true;
  return node;
}

Doc group(Doc content, bool forceBreak) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::Group;
  node->breaks = forceBreak || content->breaks;
  node->parts = {std::move(content)};
  return node;
}

Doc indent(Doc content) { return make(DocKind::Indent, {std::move(content)}); }
Doc align(Doc content) { return make(DocKind::Align, {std::move(content)}); }

Doc ifBreak(Doc broken, Doc flat) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::IfBreak;
  node->parts = {std::move(broken), std::move(flat)};
  return node;
}

Doc lineSuffix(Doc content) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::LineSuffix;
  node->parts = {std::move(content)};
  return node;
}

Doc conditional(std::vector<Doc> layouts) {
  auto node = std::make_shared<DocNode>();
  node->kind = DocKind::Conditional;
  node->breaks = layouts.front()->breaks;
  node->parts = std::move(layouts);
  return node;
}

Doc fill(std::vector<Doc> items) { return make(DocKind::Fill, std::move(items)); }

std::string render(const Doc& doc, size_t width) { return Renderer(width).run(doc); }

}  // namespace crm::format::internal
