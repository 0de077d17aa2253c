#include "chat/prompt_segments.hpp"

#include <charconv>

#include "chat/jinja/unicode.hpp"
#include "weft/error.hpp"

namespace weft::chat {

std::vector<PromptSegment> split_prompt(std::string_view prompt,
                                        const nlohmann::ordered_json& messages) {
  std::vector<PromptSegment> segments;
  size_t cursor = 0;  // everything before it is already in `segments`
  size_t search_from = 0;
  auto add = [&](size_t begin, size_t end, bool from_content) {
    if (end > begin)
      segments.push_back({std::string(prompt.substr(begin, end - begin)), from_content});
  };
  if (messages.is_array()) {
    for (const auto& message : messages) {
      if (!message.is_object() || !message.contains("content") || !message["content"].is_string())
        continue;
      const std::string content = message["content"].get<std::string>();
      const std::string trimmed = jinja::unicode::strip(content, nullptr, true, true);
      for (const std::string* candidate : {&content, &trimmed}) {
        if (candidate->empty()) continue;
        size_t at = prompt.find(*candidate, search_from);
        if (at == std::string_view::npos) continue;
        add(cursor, at, false);
        add(at, at + candidate->size(), true);
        cursor = search_from = at + candidate->size();
        break;
      }
    }
  }
  add(cursor, prompt.size(), false);
  return segments;
}

namespace {

// Private-use characters around the content's index: text no template writes by itself.
constexpr std::string_view kOpen = "\xEE\x80\x80";   // U+E000
constexpr std::string_view kClose = "\xEE\x80\x81";  // U+E001

std::string placeholder(size_t index) {
  return std::string(kOpen) + std::to_string(index) + std::string(kClose);
}

// The segments of `marked` with each placeholder replaced by its content (trimmed or not);
// empty when a placeholder is malformed.
std::vector<PromptSegment> substitute(std::string_view marked,
                                      const std::vector<std::string>& contents, bool trimmed) {
  std::vector<PromptSegment> segments;
  size_t cursor = 0;
  while (true) {
    size_t open = marked.find(kOpen, cursor);
    if (open == std::string_view::npos) break;
    size_t close = marked.find(kClose, open);
    if (close == std::string_view::npos) return {};
    std::string digits(marked.substr(open + kOpen.size(), close - open - kOpen.size()));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return {};
    size_t index = 0;
    auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (parsed.ec != std::errc() || index >= contents.size()) return {};
    if (open > cursor)
      segments.push_back({std::string(marked.substr(cursor, open - cursor)), false});
    std::string content =
        trimmed ? jinja::unicode::strip(contents[index], nullptr, true, true) : contents[index];
    if (!content.empty()) segments.push_back({std::move(content), true});
    cursor = close + kClose.size();
  }
  if (cursor < marked.size()) segments.push_back({std::string(marked.substr(cursor)), false});
  return segments;
}

std::string joined(const std::vector<PromptSegment>& segments) {
  std::string text;
  for (const auto& segment : segments) text += segment.text;
  return text;
}

}  // namespace

std::vector<PromptSegment> render_prompt_segments(const ChatTemplate& chat_template,
                                                  const ChatRenderInput& input) {
  std::string prompt = chat_template.render(input);
  ChatRenderInput marked = input;
  std::vector<std::string> contents;
  if (marked.messages.is_array()) {
    for (auto& message : marked.messages) {
      if (!message.is_object() || !message.contains("content") || !message["content"].is_string())
        continue;
      contents.push_back(message["content"].get<std::string>());
      message["content"] = placeholder(contents.size() - 1);
    }
  }
  try {
    std::string marked_prompt = chat_template.render(marked);
    for (bool trimmed : {false, true}) {
      auto segments = substitute(marked_prompt, contents, trimmed);
      if (!segments.empty() && joined(segments) == prompt) return segments;
    }
  } catch (const weft::Error&) {
    // The template treats content differently from a placeholder: use the search instead.
  }
  return split_prompt(prompt, input.messages);
}

std::vector<std::string> end_of_turn_markers(std::string_view template_source) {
  static const char* const known[] = {
      "<|im_end|>",
      "<|eot_id|>",
      "<|eom_id|>",
      "<end_of_turn>",
      "<|end|>",
      "<|END_OF_TURN_TOKEN|>",
      "<｜end▁of▁sentence｜>",
      "<|endoftext|>",
  };
  std::vector<std::string> markers;
  for (const char* marker : known) {
    if (template_source.find(marker) != std::string_view::npos) markers.emplace_back(marker);
  }
  return markers;
}

}  // namespace weft::chat
