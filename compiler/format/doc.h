// The layout document of the formatter: text with optional line breaks
// grouped so that a group is printed on one line when it fits and broken
// otherwise, as in Wadler's "A prettier printer" and the printer of
// Prettier. Internal to compiler/format.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace crm::format::internal {

enum class DocKind {
  Text,
  Concat,
  Line,         // a space, nothing or a line break, by the enclosing group's mode
  Group,        // flat when it fits in the width, broken otherwise
  Indent,       // two more columns of indentation for its lines
  Align,        // indentation set to the column where it starts
  IfBreak,      // one document when the enclosing group breaks, another when flat
  LineSuffix,   // printed just before the next line break (trailing comments)
  Conditional,  // the first of several layouts that fits (see render)
  Fill,         // separators break only where the next item does not fit
};

enum class LineKind {
  Space,  // a space when flat
  Soft,   // nothing when flat
  Hard,   // always a break; forces the enclosing groups to break
  Blank,  // always a break, with one empty line before what follows
};

struct DocNode;
using Doc = std::shared_ptr<const DocNode>;

struct DocNode {
  DocKind kind = DocKind::Text;
  std::string text;
  LineKind line = LineKind::Space;
  std::vector<Doc> parts;
  // Whether a hard line (or text with a line break) forces the groups
  // around this node to break.
  bool breaks = false;
  // Text of a comment. A trailing line comment waiting for the end of the
  // line is printed first, then a line break, so that comments keep their
  // order.
  bool comment = false;
};

Doc text(std::string value);
Doc commentText(std::string value);
Doc concat(std::vector<Doc> parts);
Doc line();
Doc softline();
Doc hardline();
Doc blankline();
// Prints nothing and forces the enclosing groups to break. A trailing line
// comment uses it, because a line break must follow the comment.
Doc breakParent();
Doc group(Doc content, bool forceBreak = false);
Doc indent(Doc content);
Doc align(Doc content);
Doc ifBreak(Doc broken, Doc flat);
Doc lineSuffix(Doc content);
// Tries `layouts` in order. The first is printed flat when it fits on the
// line. Otherwise the first layout whose text up to its first line break
// fits is printed, its groups deciding for themselves, and the last layout
// is the fallback.
Doc conditional(std::vector<Doc> layouts);
// `items` alternate content and separator: content, separator, content...
Doc fill(std::vector<Doc> items);

// Prints `doc` within `width` columns (counted in code points). A line
// break at the start of a line that contains only indentation adds no
// empty line, and trailing spaces are removed.
std::string render(const Doc& doc, size_t width);

}  // namespace crm::format::internal
