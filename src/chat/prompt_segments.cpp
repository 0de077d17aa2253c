#include "chat/prompt_segments.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "chat/jinja/unicode.hpp"
#include "weft/error.hpp"

namespace weft::chat {
namespace {

// Where user-supplied text sits in a message: its "content" when a string, else each
// {"text": ...} part of a content list.
struct ContentSlot {
  size_t message = 0;
  std::optional<size_t> part;  // index in the content list; none: the content itself
};

std::vector<ContentSlot> content_slots(const nlohmann::ordered_json& messages) {
  std::vector<ContentSlot> slots;
  if (!messages.is_array()) return slots;
  for (size_t m = 0; m < messages.size(); ++m) {
    const auto& message = messages[m];
    if (!message.is_object() || !message.contains("content")) continue;
    const auto& content = message["content"];
    if (content.is_string()) {
      slots.push_back({m, std::nullopt});
    } else if (content.is_array()) {
      for (size_t p = 0; p < content.size(); ++p) {
        if (content[p].is_object() && content[p].contains("text") && content[p]["text"].is_string())
          slots.push_back({m, p});
      }
    }
  }
  return slots;
}

nlohmann::ordered_json& slot_value(nlohmann::ordered_json& messages, const ContentSlot& slot) {
  auto& content = messages[slot.message]["content"];
  return slot.part ? content[*slot.part]["text"] : content;
}

// Placeholders are private-use characters around the slot's index. The pair is chosen so that
// neither character occurs in the prompt or in any content: a user cannot forge one.
struct Delimiters {
  std::string open;
  std::string close;
};

std::string private_use_character(unsigned offset) {  // U+E000 + offset, offset < 4096
  return jinja::unicode::encode(static_cast<char32_t>(0xE000 + offset));
}

std::optional<Delimiters> choose_delimiters(std::string_view prompt,
                                            const std::vector<std::string>& contents) {
  for (unsigned pair = 0; pair < 64; ++pair) {
    Delimiters delimiters{private_use_character(2 * pair), private_use_character(2 * pair + 1)};
    auto occurs = [&](std::string_view text) {
      return text.find(delimiters.open) != std::string_view::npos ||
             text.find(delimiters.close) != std::string_view::npos;
    };
    if (!occurs(prompt) && std::none_of(contents.begin(), contents.end(), occurs))
      return delimiters;
  }
  return std::nullopt;
}

// A rendering with placeholders, cut into template text and placeholders.
struct MarkedPiece {
  std::string text;            // template text (when slot is unset)
  std::optional<size_t> slot;  // a placeholder for this content slot
};

std::optional<std::vector<MarkedPiece>> parse_marked(std::string_view marked,
                                                     const Delimiters& delimiters,
                                                     size_t slot_count) {
  std::vector<MarkedPiece> pieces;
  size_t cursor = 0;
  while (true) {
    size_t open = marked.find(delimiters.open, cursor);
    size_t stray_close = marked.find(delimiters.close, cursor);
    if (open == std::string_view::npos) {
      if (stray_close != std::string_view::npos) return std::nullopt;
      break;
    }
    if (stray_close < open) return std::nullopt;
    size_t digits_begin = open + delimiters.open.size();
    size_t close = marked.find(delimiters.close, digits_begin);
    if (close == std::string_view::npos) return std::nullopt;
    size_t slot = 0;
    auto parsed = std::from_chars(marked.data() + digits_begin, marked.data() + close, slot);
    if (parsed.ec != std::errc() || parsed.ptr != marked.data() + close || slot >= slot_count)
      return std::nullopt;
    pieces.push_back({std::string(marked.substr(cursor, open - cursor)), std::nullopt});
    pieces.push_back({{}, slot});
    cursor = close + delimiters.close.size();
  }
  pieces.push_back({std::string(marked.substr(cursor)), std::nullopt});
  return pieces;
}

// Matching a placeholder rendering against the real prompt: each template piece must be the
// prompt's next bytes and each placeholder its content (as written or trimmed).
struct Alignment {
  bool complete = false;
  std::vector<std::string> placeholder_texts;  // per placeholder piece, what it stood for
  std::optional<size_t> blamed_slot;           // the first content the template changed, if known
};

bool matches_at(std::string_view prompt, size_t at, std::string_view text) {
  return prompt.size() - at >= text.size() && prompt.compare(at, text.size(), text) == 0;
}

Alignment align(const std::vector<MarkedPiece>& pieces, std::string_view prompt,
                const std::vector<std::string>& contents) {
  Alignment alignment;
  size_t cursor = 0;
  std::optional<size_t> last_slot;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const auto& piece = pieces[k];
    if (!piece.slot) {
      if (matches_at(prompt, cursor, piece.text)) {
        cursor += piece.text.size();
        continue;
      }
      // Template text changed: blame the content just before it, if any.
      alignment.blamed_slot = last_slot;
      return alignment;
    }
    const std::string& content = contents[*piece.slot];
    const std::string trimmed = jinja::unicode::strip(content, nullptr, true, true);
    const std::string_view next_text =
        k + 1 < pieces.size() && !pieces[k + 1].slot ? std::string_view(pieces[k + 1].text) : "";
    std::optional<std::string> matched;
    for (const std::string* candidate : {&content, &trimmed}) {
      if (matches_at(prompt, cursor, *candidate) &&
          matches_at(prompt, cursor + candidate->size(), next_text)) {
        matched = *candidate;
        break;
      }
    }
    if (!matched) {
      // The template transformed this content. Only the first such content is certain: where
      // its output ends in the prompt is unknown, so the next round renders it in place.
      alignment.blamed_slot = piece.slot;
      return alignment;
    }
    cursor += matched->size();
    alignment.placeholder_texts.push_back(std::move(*matched));
    last_slot = piece.slot;
  }
  if (cursor != prompt.size()) {
    alignment.blamed_slot = last_slot;
    return alignment;
  }
  alignment.complete = true;
  return alignment;
}

size_t common_prefix(std::string_view a, std::string_view b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first -
                             a.begin());
}

size_t common_suffix(std::string_view a, std::string_view b) {
  return static_cast<size_t>(std::mismatch(a.rbegin(), a.rend(), b.rbegin(), b.rend()).first -
                             a.rbegin());
}

void add_segment(std::vector<PromptSegment>& segments, std::string_view text, bool from_content) {
  if (text.empty()) return;
  if (!segments.empty() && segments.back().from_content == from_content) {
    segments.back().text += text;
  } else {
    segments.push_back({std::string(text), from_content});
  }
}

// The final segments. `reference` is the rendering with every content a placeholder,
// `final_pieces` the one with the transformed contents in place (it aligned with the prompt).
// Text of the final rendering between two kept placeholders is template text only where it
// equals the reference's template text before the first (after the last) transformed content
// of that stretch; the rest holds, or may depend on, transformed content and is user text.
std::optional<std::vector<PromptSegment>> carve(const std::vector<MarkedPiece>& reference,
                                                const std::vector<MarkedPiece>& final_pieces,
                                                const std::vector<bool>& transformed,
                                                const std::vector<std::string>& placeholder_texts) {
  struct Stretch {
    std::string lead;   // reference template text before its first transformed placeholder
    std::string trail;  // ... after its last one
    bool has_transformed = false;
  };
  std::vector<Stretch> stretches(1);
  std::vector<size_t> kept_reference;
  for (const auto& piece : reference) {
    Stretch& stretch = stretches.back();
    if (piece.slot && !transformed[*piece.slot]) {
      kept_reference.push_back(*piece.slot);
      stretches.emplace_back();
    } else if (piece.slot) {
      stretch.has_transformed = true;
      stretch.trail.clear();
    } else {
      if (!stretch.has_transformed) stretch.lead += piece.text;
      stretch.trail += piece.text;
    }
  }
  std::vector<std::string> final_texts(1);
  std::vector<size_t> kept_final;
  for (const auto& piece : final_pieces) {
    if (piece.slot) {
      kept_final.push_back(*piece.slot);
      final_texts.emplace_back();
    } else {
      final_texts.back() += piece.text;
    }
  }
  // The template must have written the kept contents in the same order both times.
  if (kept_reference != kept_final || placeholder_texts.size() != kept_final.size())
    return std::nullopt;

  std::vector<PromptSegment> segments;
  for (size_t s = 0; s < final_texts.size(); ++s) {
    const std::string_view text = final_texts[s];
    const Stretch& stretch = stretches[s];
    if (!stretch.has_transformed && text == stretch.lead) {
      add_segment(segments, text, false);
    } else {
      size_t prefix = common_prefix(text, stretch.lead);
      size_t suffix = std::min(common_suffix(text, stretch.trail), text.size() - prefix);
      add_segment(segments, text.substr(0, prefix), false);
      add_segment(segments, text.substr(prefix, text.size() - prefix - suffix), true);
      add_segment(segments, text.substr(text.size() - suffix), false);
    }
    if (s < placeholder_texts.size()) add_segment(segments, placeholder_texts[s], true);
  }
  return segments;
}

}  // namespace

std::vector<PromptSegment> render_prompt_segments(const ChatTemplate& chat_template,
                                                  const ChatRenderInput& input) {
  // Every rendering sees the same time, so that strftime_now() cannot tell them apart.
  ChatRenderInput real = input;
  if (!real.now) real.now = current_local_time();
  const std::string prompt = chat_template.render(real);
  if (prompt.empty()) return {};
  // What a prompt that cannot be split safely becomes: all of it is tokenised as text.
  const std::vector<PromptSegment> all_user_text{{prompt, true}};

  const auto slots = content_slots(real.messages);
  std::vector<std::string> contents;
  for (const auto& slot : slots) contents.push_back(slot_value(real.messages, slot));
  if (slots.empty()) return {{prompt, false}};
  const auto delimiters = choose_delimiters(prompt, contents);
  if (!delimiters) return all_user_text;

  // Renders with a placeholder for every content not (yet) known to be transformed.
  std::vector<bool> transformed(slots.size(), false);
  auto render_marked = [&]() -> std::optional<std::vector<MarkedPiece>> {
    ChatRenderInput marked = real;
    for (size_t s = 0; s < slots.size(); ++s) {
      if (!transformed[s])
        slot_value(marked.messages, slots[s]) =
            delimiters->open + std::to_string(s) + delimiters->close;
    }
    try {
      return parse_marked(chat_template.render(marked), *delimiters, slots.size());
    } catch (const weft::Error&) {
      return std::nullopt;  // the template rejects a placeholder where it accepts the content
    }
  };

  const auto reference = render_marked();
  if (!reference) return all_user_text;
  auto current = *reference;
  // Each round either succeeds or marks at least one more content as transformed; with all
  // of them in place the rendering is the prompt itself.
  for (size_t round = 0; round <= slots.size() + 1; ++round) {
    Alignment alignment = align(current, prompt, contents);
    if (alignment.complete) {
      auto segments = carve(*reference, current, transformed, alignment.placeholder_texts);
      if (!segments) return all_user_text;
      std::string joined;
      for (const auto& segment : *segments) joined += segment.text;
      if (joined != prompt) return all_user_text;
      return std::move(*segments);
    }
    if (alignment.blamed_slot && !transformed[*alignment.blamed_slot]) {
      transformed[*alignment.blamed_slot] = true;
    } else {
      // Template text changed with no content to blame: every content goes in place.
      if (std::all_of(transformed.begin(), transformed.end(), [](bool t) { return t; }))
        return all_user_text;  // even the plain rendering does not repeat itself
      std::fill(transformed.begin(), transformed.end(), true);
    }
    auto next = render_marked();
    if (!next) return all_user_text;
    current = std::move(*next);
  }
  return all_user_text;
}

}  // namespace weft::chat
