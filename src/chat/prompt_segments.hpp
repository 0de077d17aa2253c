// Which parts of a rendered prompt came from message content. The engine tokenises text the
// template wrote with special-token parsing on, and text users supplied with it off, so that a
// user who types "<|im_end|>" cannot inject a control token.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"

namespace weft::chat {

struct PromptSegment {
  std::string text;
  bool from_content = false;  // true: message content (tokenise without special tokens)

  bool operator==(const PromptSegment&) const = default;
};

// Renders `input` and says which parts are message content: each string content, and each
// {"text": ...} part of a content list. It renders again with a private-use placeholder for
// each content and matches that rendering against the prompt: template text must reappear
// byte for byte and each placeholder must be its content (as written or trimmed). A content
// the template transforms (DeepSeek-R1 cuts the reasoning before `</think>`) is put back in
// place and the rendering repeated, and what such a content turned into, and any template
// text around it that is not exactly the placeholder rendering's, is marked as content. So
// user text is never taken for template text; when the renderings cannot be matched (a
// template whose structure depends on the content) the whole prompt is marked as content.
// Concatenating the segments gives the prompt. Throws what ChatTemplate::render throws.
std::vector<PromptSegment> render_prompt_segments(const ChatTemplate& chat_template,
                                                  const ChatRenderInput& input);

}  // namespace weft::chat
