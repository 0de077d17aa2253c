// The renderer against Python's Jinja2: tests/chat/data/jinja_cases.json holds snippets and
// what Jinja2 3.1 rendered for them in Hugging Face's chat-template mode (see
// make_jinja_cases.py there). Plus the behaviour that has no rendering to compare: syntax
// errors with positions, the sandbox's limits, errors raised by templates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chat/chat_template.hpp"
#include "chat/jinja/error.hpp"
#include "chat/jinja/template.hpp"

namespace {

using nlohmann::ordered_json;
using weft::chat::jinja::Dict;
using weft::chat::jinja::RenderOptions;
using weft::chat::jinja::Template;
using weft::chat::jinja::TemplateError;
using weft::chat::jinja::Value;

ordered_json load_cases() {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/tests/chat/data/jinja_cases.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ordered_json::parse(buffer.str());
}

RenderOptions reference_render_options() {
  RenderOptions options;
  options.now.tm_year = 2026 - 1900;
  options.now.tm_mon = 10;
  options.now.tm_mday = 22;
  options.now.tm_hour = 9;
  options.now.tm_min = 30;
  options.now.tm_wday = 0;
  options.now.tm_yday = 325;
  return options;
}

std::string render(const std::string& source, const Dict& variables = Dict(),
                   RenderOptions options = {}) {
  return Template(source).render(variables, options);
}

TEST(JinjaSemantics, MatchesPythonJinja2OnEverySnippet) {
  auto data = load_cases();
  Dict variables;
  for (const auto& [key, value] : data.at("variables").items())
    variables.set(key, Value::from_json(value));
  variables.set("tools", Value::from_json(data.at("tools")));
  size_t passed = 0;
  for (const auto& test_case : data.at("cases")) {
    std::string source = test_case.at("template").get<std::string>();
    SCOPED_TRACE(source);
    try {
      std::string rendered = render(source, variables, reference_render_options());
      EXPECT_EQ(rendered, test_case.at("expected").get<std::string>());
      if (rendered == test_case.at("expected").get<std::string>()) ++passed;
    } catch (const std::exception& error) {
      ADD_FAILURE() << error.what();
    }
  }
  EXPECT_EQ(passed, data.at("cases").size());
}

TEST(JinjaSyntax, ErrorsNameLineAndColumn) {
  struct Case {
    const char* source;
    int line;
    int column;
  };
  const Case cases[] = {
      {"hello\n{{ 1 + }}", 2, 8},              // missing operand: points at '}}'
      {"{% if x %}\nno end", 1, 1},            // unclosed block: points at its opening tag
      {"a\n  {% frobnicate %}", 2, 3},         // unknown statement
      {"{{ 'unterminated }}", 1, 4},           // string never closed
      {"x\ny\n{{ a ! b }}", 3, 6},             // stray character
      {"{% for x in y %}{% endif %}", 1, 17},  // wrong end tag: reported where the loop is open
      {"{{ 99999999999999999999 }}", 1, 4},    // integer literal past int64
      {"{{ x.99999999999999999999 }}", 1, 6},  // the same as an item index
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source);
    try {
      Template parsed(c.source);
      ADD_FAILURE() << "parsed without error";
    } catch (const TemplateError& error) {
      EXPECT_EQ(error.kind(), TemplateError::Kind::syntax);
      EXPECT_EQ(error.pos().line, c.line) << error.what();
      EXPECT_EQ(error.pos().column, c.column) << error.what();
      EXPECT_NE(std::string(error.what()).find("line " + std::to_string(c.line)),
                std::string::npos);
    }
  }
}

TEST(JinjaErrors, RuntimeErrorsNameTheirLine) {
  try {
    render("line one\n{{ 'a' + 1 }}");
    ADD_FAILURE() << "rendered without error";
  } catch (const TemplateError& error) {
    EXPECT_EQ(error.kind(), TemplateError::Kind::runtime);
    EXPECT_EQ(error.pos().line, 2);
    EXPECT_NE(std::string(error.what()).find("can only concatenate str"), std::string::npos);
  }
}

TEST(JinjaErrors, UsingAnUndefinedValueFailsLikeJinja2) {
  // Printing or testing an undefined value is fine; operating on it is an error.
  EXPECT_EQ(render("[{{ nope }}]{{ nope is defined }}"), "[]False");
  EXPECT_THROW(render("{{ nope + 1 }}"), TemplateError);
  EXPECT_THROW(render("{{ nope.attribute }}"), TemplateError);
  EXPECT_THROW(render("{{ nope | tojson }}"), TemplateError);
  try {
    render("{{ nope.x }}");
  } catch (const TemplateError& error) {
    EXPECT_NE(std::string(error.what()).find("'nope' is undefined"), std::string::npos);
  }
}

TEST(JinjaErrors, RaiseExceptionGivesExactlyTheMessage) {
  try {
    render("text {{ raise_exception('Roles must alternate') }}");
    ADD_FAILURE() << "rendered without error";
  } catch (const TemplateError& error) {
    EXPECT_EQ(error.kind(), TemplateError::Kind::raised);
    EXPECT_STREQ(error.what(), "Roles must alternate");
  }
}

TEST(JinjaSandbox, LoopIterationsAreBounded) {
  RenderOptions options;
  options.limits.max_loop_iterations = 1000;
  EXPECT_NO_THROW(render("{% for i in range(400) %}{% endfor %}", Dict(), options));
  EXPECT_THROW(render("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}",
                      Dict(), options),
               TemplateError);
  EXPECT_THROW(render("{{ range(1000000) | length }}"), TemplateError);  // Jinja2's MAX_RANGE
}

TEST(JinjaSandbox, OutputSizeIsBounded) {
  RenderOptions options;
  options.limits.max_output_bytes = 1000;
  EXPECT_NO_THROW(render("{{ 'x' * 900 }}", Dict(), options));
  EXPECT_THROW(render("{% for i in range(100) %}{{ 'x' * 20 }}{% endfor %}", Dict(), options),
               TemplateError);
}

// The error a value over max_value_bytes raises: it names the limit.
void expect_value_limit_error(const std::string& source, const RenderOptions& options) {
  SCOPED_TRACE(source);
  try {
    std::string rendered = render(source, Dict(), options);
    ADD_FAILURE() << "rendered " << rendered.size() << " bytes without error";
  } catch (const TemplateError& error) {
    EXPECT_NE(std::string(error.what()).find("max_value_bytes"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(std::to_string(options.limits.max_value_bytes)),
              std::string::npos)
        << error.what();
  }
}

TEST(JinjaSandbox, ValuesBuiltInsideATemplateAreBounded) {
  RenderOptions options;
  options.limits.max_value_bytes = 100000;
  // Doubling 40 times would reach a terabyte; each way of growing a value stops at the limit.
  const char* growing[] = {
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}",
      "{% set l = ['x'] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}",
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = [s, s] | join %}{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = ''.join([s, s]) %}{% endfor %}",
      "{% set s = 'xx' %}{% for i in range(40) %}{% set s = s.replace('x', 'xx') %}{% endfor %}",
      "{% set s = 'xx' %}{% for i in range(40) %}{% set s = s | replace('x', 'xx') %}{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = '{}{}'.format(s, s) %}{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = '%s%s' % (s, s) %}{% endfor %}",
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = [s, s] | sum(start='') %}{% endfor %}",
      "{{ 'x' * 200000 }}",
      "{{ ['x'] * 200000 }}",
      "{{ 'x' | center(200000) }}",
      "{{ 'x\ny' | indent(100000) }}",
      "{{ ('x' * 1000).replace('', 'y' * 1000) }}",
      // One value per piece: many small pieces from a string under the limit.
      "{{ (',' * 90000).split(',') | length }}",
      "{{ (',' * 90000).rsplit(',') | length }}",
      "{{ (' x' * 45000).split() | length }}",
      "{{ ('\\n' * 90000).splitlines() | length }}",
      "{{ ('x' * 90000) | list | length }}",
      "{% for c in 'x' * 90000 %}{% endfor %}",
      // Lists that share their items spell out far longer than they hold (a namespace carries
      // the list out of the loop).
      "{% set ns = namespace(l=['x']) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}"
      "{% endfor %}{{ ns.l }}",
      "{% set ns = namespace(l=['x']) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}"
      "{% endfor %}{{ ns.l | tojson }}",
      "{% set ns = namespace(l=['x']) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}"
      "{% endfor %}{{ ns.l | string | length }}",
  };
  for (const char* source : growing) expect_value_limit_error(source, options);
  // Below the limit the same templates work.
  EXPECT_EQ(render("{% set ns = namespace(s='x') %}{% for i in range(10) %}"
                   "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
                   Dict(), options),
            "1024");
  EXPECT_EQ(render("{% set ns = namespace(l=['x']) %}{% for i in range(10) %}"
                   "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
                   Dict(), options),
            "1024");
}

TEST(JinjaSandbox, RecursionIsBounded) {
  EXPECT_THROW(render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"), TemplateError);
  std::string deep(5000, '(');
  EXPECT_THROW(Template("{{ " + deep + " }}"), TemplateError);
}

TEST(JinjaSandbox, NoFileAccessAndNoMutation) {
  EXPECT_THROW(Template("{% include 'other.jinja' %}"), TemplateError);
  EXPECT_THROW(Template("{% import 'macros.jinja' as m %}"), TemplateError);
  EXPECT_THROW(render("{% set l = [1] %}{{ l.append(2) }}"), TemplateError);
  EXPECT_THROW(render("{% set d = {} %}{{ d.update({'a': 1}) }}"), TemplateError);
}

TEST(ChatTemplateFallback, RendersChatMl) {
  auto fallback = weft::chat::ChatTemplate::fallback();
  weft::chat::ChatRenderInput input;
  input.messages =
      ordered_json::parse(R"([{"role":"system","content":"S"},{"role":"user","content":"U"}])");
  // ChatML as documented by its authors: <|im_start|>ROLE\nCONTENT<|im_end|>\n per turn.
  EXPECT_EQ(
      fallback.render(input),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  input.add_generation_prompt = false;
  EXPECT_EQ(fallback.render(input),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
}

TEST(ChatTemplateInput, RejectsMalformedRequests) {
  auto fallback = weft::chat::ChatTemplate::fallback();
  weft::chat::ChatRenderInput input;
  input.messages = ordered_json::object();
  EXPECT_THROW(fallback.render(input), weft::Error);
  input.messages = ordered_json::array();
  input.extra_context = ordered_json::array();
  EXPECT_THROW(fallback.render(input), weft::Error);
}

}  // namespace
