#include "grammar/grammar_checks.hpp"

#include "grammar/source_position.hpp"

namespace weft::grammar {

bool sequence_nullable(const Sequence& sequence, const std::vector<bool>& nullable) {
  for (const Element& element : sequence) {
    if (element.kind != ElementKind::rule || !nullable[element.value]) return false;
  }
  return true;
}

std::vector<bool> nullable_rules(const std::vector<DraftRule>& rules) {
  std::vector<bool> nullable(rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (nullable[i]) continue;
      for (const Sequence& alternative : rules[i].alternatives) {
        if (sequence_nullable(alternative, nullable)) {
          nullable[i] = true;
          changed = true;
          break;
        }
      }
    }
  }
  return nullable;
}

namespace {

// Rules each rule may expand to before reading a character.
std::vector<std::vector<uint32_t>> leftmost_edges(const std::vector<DraftRule>& rules,
                                                  const std::vector<bool>& nullable) {
  std::vector<std::vector<uint32_t>> edges(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    for (const Sequence& alternative : rules[i].alternatives) {
      for (const Element& element : alternative) {
        if (element.kind != ElementKind::rule) break;
        edges[i].push_back(element.value);
        if (!nullable[element.value]) break;
      }
    }
  }
  return edges;
}

}  // namespace

void check_left_recursion(const std::vector<DraftRule>& rules, const std::vector<bool>& nullable,
                          std::string_view text) {
  auto edges = leftmost_edges(rules, nullable);
  enum class Mark : uint8_t { unseen, on_path, done };
  std::vector<Mark> marks(rules.size(), Mark::unseen);
  // Iterative depth-first search: a hostile grammar may chain thousands of rules.
  struct Frame {
    uint32_t rule;
    size_t next_edge;
  };
  for (uint32_t start = 0; start < rules.size(); ++start) {
    if (marks[start] != Mark::unseen) continue;
    std::vector<Frame> path{{start, 0}};
    marks[start] = Mark::on_path;
    while (!path.empty()) {
      Frame& frame = path.back();
      if (frame.next_edge == edges[frame.rule].size()) {
        marks[frame.rule] = Mark::done;
        path.pop_back();
        continue;
      }
      uint32_t next = edges[frame.rule][frame.next_edge++];
      if (marks[next] == Mark::on_path) {
        std::string cycle;
        size_t from = 0;
        while (path[from].rule != next) ++from;
        for (size_t i = from; i < path.size(); ++i) cycle += rules[path[i].rule].name + " -> ";
        cycle += rules[next].name;
        throw_at(text, rules[next].offset,
                 "left recursion: rule '" + rules[next].name +
                     "' can reach itself before matching any character (" + cycle + ")");
      }
      if (marks[next] == Mark::unseen) {
        marks[next] = Mark::on_path;
        path.push_back({next, 0});
      }
    }
  }
}

std::shared_ptr<const Grammar> flatten(const std::vector<DraftRule>& rules,
                                       std::vector<CharClass> classes, uint32_t root) {
  std::vector<Element> elements;
  std::vector<Rule> flat_rules;
  flat_rules.reserve(rules.size());
  for (const DraftRule& draft : rules) {
    Rule rule{draft.name, {}};
    for (const Sequence& alternative : draft.alternatives) {
      rule.alternatives.push_back(static_cast<uint32_t>(elements.size()));
      elements.insert(elements.end(), alternative.begin(), alternative.end());
      elements.push_back({ElementKind::end, 0});
    }
    flat_rules.push_back(std::move(rule));
  }
  return std::make_shared<const Grammar>(std::move(elements), std::move(classes),
                                         std::move(flat_rules), root);
}

}  // namespace weft::grammar
