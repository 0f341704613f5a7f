// The metadata of a run that the report shows: which scripts, which data,
// how long each step took.
#include <openssl/evp.h>

#include "report/report.h"

namespace crm::report {

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string catalogTopLevel(const driver::Compilation& compilation) {
  for (const auto& script : compilation.scripts) {
    for (const auto& decl : script->decls) {
      if (decl->kind != ast::DeclKind::Entity)
        continue;
      const auto& entity = ast::as<ast::EntityDecl>(*decl);
      if (entity.role == ast::EntityRole::Catalog && !entity.levels.empty()) {
        return entity.levels.front().text;
      }
    }
  }
  return "";
}

RunInfo describeRun(const run::Prepared& prepared) {
  RunInfo info;
  if (prepared.compilation != nullptr) {
    const source::SourceManager& sources = prepared.compilation->sources;
    for (source::FileId id = 0; id < sources.size(); ++id) {
      const source::SourceFile& file = sources.file(id);
      info.scripts.push_back({file.path(), sha256Hex(file.text())});
    }
    info.categoryLevel = catalogTopLevel(*prepared.compilation);
  }
  info.sources = prepared.loadReport.sources;
  info.rejectedRecords = prepared.loadReport.rejectedCount;
  info.checkSeconds = prepared.checkSeconds;
  info.loadSeconds = prepared.loadSeconds;
  return info;
}

}  // namespace crm::report
