// The command line in process: exit codes, formats and usage errors.
#include "cli/cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace crm::cli {
namespace {

struct CliRun {
  int exitCode;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "crm");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  std::ostringstream out;
  std::ostringstream err;
  int code = runCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crm_cli_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("good.crm", "customer entity C key id { id: string  age: int? }\n"
                      "channel email { reachable: true }\n"
                      "segment adult = (customer.age ?? 0) >= 18\n"
                      "campaign hello { audience: adult  channels: email }\n");
    write("bad.crm", "segment s = ordrs // crm:allow(W0101)\n");
    write("warn.crm", "segment unused = true\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return path(name);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(CliTest, CleanScriptExitsZero) {
  CliRun result = run({"check", path("good.crm")});
  EXPECT_EQ(result.exitCode, kSuccess) << result.out;
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, ErrorsExitOneWithLocation) {
  CliRun result = run({"check", path("bad.crm")});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.out.find(path("bad.crm") + ":1:13: error[E0102]: unknown name `ordrs`"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("1 error, 0 warnings"), std::string::npos);
}

TEST_F(CliTest, WarningsPassUnlessDenied) {
  EXPECT_EQ(run({"check", path("warn.crm")}).exitCode, kSuccess);
  EXPECT_EQ(run({"check", "--deny-warnings", path("warn.crm")}).exitCode, kInvalidInput);
  EXPECT_EQ(run({"check", "--deny-warnings", "--allow", "W0101", path("warn.crm")}).exitCode,
            kSuccess);
}

TEST_F(CliTest, JsonFormatIsOneArray) {
  CliRun result = run({"check", "--format", "json", path("bad.crm")});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  auto json = nlohmann::json::parse(result.out);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["code"], "E0102");
  EXPECT_EQ(json[0]["severity"], "error");
  EXPECT_EQ(json[0]["name"], "unknown-name");
  EXPECT_EQ(json[0]["range"]["line"], 1);
  EXPECT_EQ(json[0]["range"]["column"], 13);
  EXPECT_EQ(json[0]["range"]["end_column"], 18);
  EXPECT_EQ(json[0]["range"]["file"], path("bad.crm"));
  EXPECT_TRUE(json[0]["notes"].is_array());
}

TEST_F(CliTest, JsonOfCleanScriptIsEmptyArray) {
  CliRun result = run({"check", "--format", "json", path("good.crm")});
  EXPECT_EQ(result.exitCode, kSuccess);
  EXPECT_EQ(nlohmann::json::parse(result.out), nlohmann::json::array());
}

TEST_F(CliTest, FoldersAreSearchedForScripts) {
  CliRun result = run({"check", dir_.string()});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.out.find("bad.crm"), std::string::npos);
  EXPECT_NE(result.out.find("warn.crm"), std::string::npos);
}

TEST_F(CliTest, MissingFileIsAnError) {
  CliRun result = run({"check", path("nope.crm")});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.out.find("error[E0001]: cannot read"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("no such file"), std::string::npos);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).exitCode, kUsageError);
  EXPECT_EQ(run({"frobnicate"}).exitCode, kUsageError);
  EXPECT_EQ(run({"check"}).exitCode, kUsageError);
  EXPECT_EQ(run({"check", "--format", "xml", path("good.crm")}).exitCode, kUsageError);
  EXPECT_EQ(run({"check", "--allow", "X1", path("good.crm")}).exitCode, kUsageError);
  EXPECT_EQ(run({"check", dir_.string() + "/empty_folder_that_is_missing/"}).exitCode,
            kInvalidInput);
}

TEST_F(CliTest, NumberOptionsSayWhatTheyExpect) {
  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  const std::string script = path("good.crm");
  const Case cases[] = {
      {{"run", script, "--threads", "abc"},
       "crm: --threads: expected a whole number from 1 to 256, not 'abc'\n"
       "Run `crm run --help` for usage.\n"},
      {{"run", script, "--threads", "2.5"},
       "crm: --threads: expected a whole number from 1 to 256, not '2.5'\n"
       "Run `crm run --help` for usage.\n"},
      {{"run", script, "--threads", "0"},
       "crm: --threads: expected a whole number from 1 to 256, not '0'\n"
       "Run `crm run --help` for usage.\n"},
      {{"run", script, "--threads", "300"},
       "crm: --threads: '300' is too large: at most 256\nRun `crm run --help` for usage.\n"},
      {{"load", script, "--max-bad-records", "-1"},
       "crm: --max-bad-records: expected a whole number of 0 or more, not '-1'\n"
       "Run `crm load --help` for usage.\n"},
      {{"run", script, "--max-errors", "123456789012345678901234"},
       "crm: --max-errors: '123456789012345678901234' is too large: at most 1099511627776\n"
       "Run `crm run --help` for usage.\n"},
      {{"test", script, "--min-coverage", "101"},
       "crm: --min-coverage: expected a number from 0 to 100, not '101'\n"
       "Run `crm test --help` for usage.\n"},
      {{"test", script, "--min-coverage", "50%"},
       "crm: --min-coverage: expected a number from 0 to 100, not '50%'\n"
       "Run `crm test --help` for usage.\n"},
      {{"frobnicate"},
       "crm: unknown command 'frobnicate'; the commands are check, load, run, eval, explain, "
       "test, fmt, repl\nRun `crm --help` for usage.\n"},
  };
  for (const auto& c : cases) {
    CliRun result = run(c.arguments);
    EXPECT_EQ(result.exitCode, kUsageError) << c.message;
    EXPECT_EQ(result.err, c.message);
  }
  // The bounds themselves are accepted.
  EXPECT_EQ(run({"test", script, "--min-coverage", "0"}).exitCode, kSuccess);
}

TEST_F(CliTest, SourceGivenTwiceIsAUsageError) {
  CliRun result = run({"load", path("good.crm"), "--source", "customers=a.csv", "--source",
                       "customers=b.csv"});
  EXPECT_EQ(result.exitCode, kUsageError);
  EXPECT_EQ(result.err,
            "crm: --source names `customers` twice ('a.csv' and 'b.csv'); give each source "
            "once\n");
}

TEST_F(CliTest, HelpAndVersion) {
  CliRun help = run({"--help"});
  EXPECT_EQ(help.exitCode, kSuccess);
  EXPECT_NE(help.out.find("check"), std::string::npos);
  CliRun checkHelp = run({"check", "--help"});
  EXPECT_EQ(checkHelp.exitCode, kSuccess);
  EXPECT_NE(checkHelp.out.find("--deny-warnings"), std::string::npos);
  CliRun version = run({"--version"});
  EXPECT_EQ(version.exitCode, kSuccess);
  EXPECT_EQ(version.out.rfind("crm ", 0), 0u);
}

TEST_F(CliTest, MaxErrorsCapsOutput) {
  std::string script;
  for (int i = 0; i < 20; ++i) script += "segment s" + std::to_string(i) + " = nope\n";
  write("many.crm", script);
  CliRun result = run({"check", "--max-errors", "5", path("many.crm")});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.out.find("E0005"), std::string::npos);
  EXPECT_NE(result.out.find("5 errors"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace crm::cli

namespace crm::cli {
namespace {

TEST_F(CliTest, LoadReportsRowsAndNulls) {
  write("people.csv", "id,age\np1,30\np2,\n");
  write("people.crm", "customer entity C key id { id: string  age: int? }\n"
                      "source people: C from csv(\"people.csv\") { columns { id  age } }\n");
  CliRun result = run({"load", path("people.crm")});
  EXPECT_EQ(result.exitCode, kSuccess) << result.out << result.err;
  EXPECT_NE(result.out.find("2 records, 2 loaded, 0 rejected"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("C: 2 rows"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  age: 1 null"), std::string::npos) << result.out;
}

TEST_F(CliTest, LoadFailsOnBadRecordsUnlessAllowed) {
  write("people.csv", "id,age\np1,old\np2,3\n");
  write("people.crm", "customer entity C key id { id: string  age: int? }\n"
                      "source people: C from csv(\"people.csv\") { columns { id  age } }\n");
  CliRun failed = run({"load", path("people.crm")});
  EXPECT_EQ(failed.exitCode, kInvalidInput);
  EXPECT_NE(failed.err.find(path("people.csv") + ":2:4: field `age`: 'old' is not an integer"),
            std::string::npos)
      << failed.err;
  EXPECT_EQ(failed.out, "");
  CliRun allowed = run({"load", "--max-bad-records", "1", "--rejects", path("rejects.csv"),
                        path("people.crm")});
  EXPECT_EQ(allowed.exitCode, kSuccess) << allowed.out;
  EXPECT_NE(allowed.out.find("1 rejected records"), std::string::npos) << allowed.out;
  EXPECT_TRUE(std::filesystem::exists(path("rejects.csv")));
}

TEST_F(CliTest, LoadSourceOverride) {
  write("a.csv", "id\np1\n");
  write("b.csv", "id\nq1\nq2\n");
  write("people.crm", "customer entity C key id { id: string }\n"
                      "source people: C from csv(\"a.csv\") { columns { id } }\n");
  CliRun result = run({"load", "--source", "people=" + path("b.csv"), path("people.crm")});
  EXPECT_EQ(result.exitCode, kSuccess);
  EXPECT_NE(result.out.find("C: 2 rows"), std::string::npos) << result.out;
  EXPECT_EQ(run({"load", "--source", "people", path("people.crm")}).exitCode, kUsageError);
  EXPECT_EQ(run({"load", "--max-bad-records", "-1", path("people.crm")}).exitCode, kUsageError);
  CliRun unknown = run({"load", "--source", "nobody=x.csv", path("people.crm")});
  EXPECT_EQ(unknown.exitCode, kUsageError);
  EXPECT_NE(unknown.err.find("crm: --source names `nobody`, which the script does not declare"),
            std::string::npos)
      << unknown.err;
}

TEST_F(CliTest, LoadOfInvalidScriptPrintsDiagnostics) {
  CliRun result = run({"load", path("bad.crm")});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.err.find("error[E0102]"), std::string::npos);
}

}  // namespace
}  // namespace crm::cli

namespace crm::cli {
namespace {

TEST_F(CliTest, AllowTakesOneCodePerUse) {
  CliRun result = run({"check", "-A", "W0101", path("warn.crm"), path("good.crm")});
  EXPECT_EQ(result.exitCode, kSuccess) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(run({"check", "-A", "E0102", path("good.crm")}).exitCode, kUsageError);
}

// A let of a shared file is used when any script checked with it uses it.
TEST_F(CliTest, SharedDeclarationUsedElsewhere) {
  std::filesystem::create_directories(dir_ / "shared");
  write("shared/lib.crm", "customer entity C key id { id: string  age: int? }\n"
                          "let adult = (customer.age ?? 0) >= 18\n");
  write("shared/main.crm", "import \"lib.crm\"\nchannel email { reachable: true }\n"
                           "campaign hello { audience: adult  channels: email }\n");
  CliRun result = run({"check", "--deny-warnings", (dir_ / "shared").string()});
  EXPECT_EQ(result.exitCode, kSuccess) << result.out;
  CliRun alone = run({"check", path("shared/lib.crm")});
  EXPECT_NE(alone.out.find("warning[W0101]: let `adult` is never used"), std::string::npos)
      << alone.out;
}

TEST_F(CliTest, FifoIsNotOpened) {
  std::string fifo = path("pipe.crm");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  CliRun result = run({"check", fifo});
  EXPECT_EQ(result.exitCode, kInvalidInput);
  EXPECT_NE(result.out.find("not a regular file"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace crm::cli

namespace crm::cli {
namespace {

TEST_F(CliTest, RunRejectsEmptyAsOf) {
  write("c.csv", "id\nc1\n");
  write("c.crm", "customer entity C key id { id: string }\n"
                 "source cs: C from csv(\"c.csv\") { columns { id } }\n");
  CliRun result = run({"run", path("c.crm"), "--as-of", ""});
  EXPECT_EQ(result.exitCode, kUsageError);
  EXPECT_EQ(result.err,
            "crm: --as-of is empty; give an RFC 3339 timestamp such as 2018-03-01T00:00:00Z\n");
}

TEST_F(CliTest, EvalRejectsMismatchedBindings) {
  CliRun wrongType = run({"eval", "--declare", "x=int", "--bind", "x={\"string\":\"a\"}", "x"});
  EXPECT_EQ(wrongType.exitCode, kUsageError);
  EXPECT_EQ(wrongType.err,
            "crm: --bind x: the value {\"string\":\"a\"} is not of the declared type int\n");

  CliRun repeatedKey = run({"eval", "--bind",
                            "x={\"map\":[[{\"int\":\"1\"},{\"int\":\"1\"}],[{\"int\":\"1\"},{\"int\":\"2\"}]]}",
                            "x"});
  EXPECT_EQ(repeatedKey.exitCode, kUsageError);
  EXPECT_EQ(repeatedKey.err, "crm: --bind x: {\"map\": ...}: the key {\"int\":\"1\"} appears twice\n");

  CliRun repeatedSet = run({"eval", "--declare", "s=set(int)", "--bind",
                            "s={\"list\":[{\"int\":\"1\"},{\"int\":\"1\"}]}", "s"});
  EXPECT_EQ(repeatedSet.exitCode, kUsageError);

  CliRun declaredTwice = run({"eval", "--declare", "x=int", "--declare", "x=string", "1"});
  EXPECT_EQ(declaredTwice.exitCode, kUsageError);
  EXPECT_EQ(declaredTwice.err, "crm: --declare gives `x` twice\n");
}

}  // namespace
}  // namespace crm::cli
