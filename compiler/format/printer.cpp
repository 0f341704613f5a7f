// Comments, blank lines and blocks: the parts of the layout that come from
// the source text rather than from the tree.
#include "compiler/format/printer.h"

namespace crm::format::internal {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// Returns where the text starts, after a UTF-8 byte order mark.
uint32_t textStart(const std::string& text) {
  return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

}  // namespace

std::string Printer::slice(source::SourceRange range) const {
  return file_.text().substr(range.begin, range.end - range.begin);
}

bool Printer::hasComment(uint32_t before) const {
  return nextComment_ < comments_.size() && comments_[nextComment_].range.begin < before;
}

// Whether only white space lies between the previous line break (or the
// start of the file) and `offset`.
bool Printer::startsLine(uint32_t offset) const {
  const std::string& text = file_.text();
  for (uint32_t i = offset; i > textStart(text); --i) {
    char c = text[i - 1];
    if (c == '\n') return true;
    if (!isSpace(c)) return false;
  }
  return true;
}

// Whether the white space before `offset` contains an empty line. The start of
// the file does not count as one.
bool Printer::blankLineBefore(uint32_t offset) const {
  const std::string& text = file_.text();
  int breaks = 0;
  for (uint32_t i = offset; i > textStart(text); --i) {
    char c = text[i - 1];
    if (!isSpace(c)) return breaks >= 2;
    if (c == '\n') ++breaks;
  }
  return false;
}

bool Printer::lineBreakAfter(uint32_t offset) const {
  const std::string& text = file_.text();
  for (uint32_t i = offset; i < text.size(); ++i) {
    if (text[i] == '\n') return true;
    if (!isSpace(text[i])) return false;
  }
  return true;
}

uint32_t Printer::closingBraceAfter(uint32_t offset) const {
  const std::string& text = file_.text();
  size_t comment = nextComment_;
  while (offset < text.size() && text[offset] != '}') {
    while (comment < comments_.size() && comments_[comment].range.end <= offset) ++comment;
    bool inComment = comment < comments_.size() && comments_[comment].range.begin <= offset;
    offset = inComment ? comments_[comment].range.end : offset + 1;
  }
  return offset;
}

Doc Printer::trailingComments(uint32_t offset, bool forceBreak) {
  std::vector<Doc> parts;
  while (hasComment(offset) && !lineCommentWaits_ &&
         !startsLine(comments_[nextComment_].range.begin)) {
    const ast::Comment& comment = comments_[nextComment_++];
    std::string body = slice(comment.range);
    if (comment.block) {
      parts.push_back(commentText(" " + body));
      continue;
    }
    // Without `forceBreak` the comment waits for the end of the line without
    // forcing a break, which it would no longer force once printed there.
    parts.push_back(lineSuffix(text(" " + body)));
    if (forceBreak) parts.push_back(breakParent());
    lineCommentWaits_ = true;
  }
  return concat(std::move(parts));
}

Doc Printer::leadingComments(uint32_t offset) {
  std::vector<Doc> parts;
  while (hasComment(offset)) {
    const ast::Comment& comment = comments_[nextComment_++];
    // After a line comment that waits for the end of the line, a comment
    // starts a line of its own, as it will when the output is formatted
    // again.
    if (startsLine(comment.range.begin) || lineCommentWaits_) {
      parts.push_back(hardline());
      lineCommentWaits_ = false;
    }
    parts.push_back(commentText(slice(comment.range)));
    bool lineBreak = !comment.block || lineBreakAfter(comment.range.end);
    parts.push_back(lineBreak ? hardline() : text(" "));
  }
  return concat(std::move(parts));
}

Doc Printer::commentsBefore(uint32_t offset) {
  Doc trailing = trailingComments(offset);
  return concat({trailing, leadingComments(offset)});
}

Doc Printer::blockLines(const std::vector<Item>& items, uint32_t end, bool fileStart) {
  std::vector<Doc> parts;
  bool first = true;
  // The break before the next thing: none at the start of the file, no
  // empty line at the start of a block.
  auto separator = [&](uint32_t offset) {
    lineCommentWaits_ = false;
    if (first) {
      first = false;
      if (!fileStart) parts.push_back(hardline());
      return;
    }
    parts.push_back(blankLineBefore(offset) ? blankline() : hardline());
  };
  auto ownLineComments = [&](uint32_t before) {
    parts.push_back(trailingComments(before));
    while (hasComment(before)) {
      const ast::Comment& comment = comments_[nextComment_++];
      if (startsLine(comment.range.begin) || lineCommentWaits_) {
        separator(comment.range.begin);
        parts.push_back(commentText(slice(comment.range)));
      } else {
        parts.push_back(commentText(" " + slice(comment.range)));
      }
      if (!comment.block) parts.push_back(breakParent());
      lineCommentWaits_ = !comment.block;
    }
  };
  for (const Item& item : items) {
    ownLineComments(item.begin);
    separator(item.begin);
    parts.push_back(item.build());
  }
  ownLineComments(end);
  return concat(std::move(parts));
}

Doc Printer::block(const std::vector<Item>& items, uint32_t end) {
  if (items.empty() && !hasComment(end)) {
    return text("{}");
  }
  return concat({text("{"), indent(blockLines(items, end, false)), hardline(), text("}")});
}

Doc Printer::script(const ast::Script& script) {
  std::vector<Item> items;
  for (const auto& decl : script.decls) {
    items.push_back({decl->range.begin, [this, &decl] { return declaration(*decl); }});
  }
  auto end = static_cast<uint32_t>(file_.text().size());
  Doc body = blockLines(items, end, true);
  return concat({body, hardline()});
}

}  // namespace crm::format::internal
