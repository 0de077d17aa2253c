// Which parts of a rendered prompt came from message content. The engine tokenises text the
// template wrote with special-token parsing on, and text users supplied with it off, so that a
// user who types "<|im_end|>" cannot inject a control token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"

namespace weft::chat {

struct PromptSegment {
  std::string text;
  bool from_content = false;  // true: message content (tokenise without special tokens)
};

// Renders `input` and says which parts are message content, exactly when the template only
// copies content into the prompt (possibly trimmed): it renders a second time with a
// placeholder for each content and checks that putting the contents back gives the same
// prompt. Otherwise (a template that rewrites content) it falls back to split_prompt.
// Throws what ChatTemplate::render throws.
std::vector<PromptSegment> render_prompt_segments(const ChatTemplate& chat_template,
                                                  const ChatRenderInput& input);

// Splits `prompt` (rendered from `messages`) into template text and message content. Each
// message's string content is looked for in order after the previous one (as written, else as
// the template's trim would leave it); content the template transformed otherwise is not
// found and stays template text. Concatenating the segments gives `prompt` back.
std::vector<PromptSegment> split_prompt(std::string_view prompt,
                                        const nlohmann::ordered_json& messages);

// The end-of-turn markers a template writes (<|im_end|>, <|eot_id|>, <end_of_turn>…), which
// end generation like EOS does.
std::vector<std::string> end_of_turn_markers(std::string_view template_source);

}  // namespace weft::chat
