// Text as a reader sees a rendered page: runs of white space collapse to one space, block
// boundaries become one line break (Break(1)) or a blank line (Break(2)), table cells are separated
// by tabs, and <pre> keeps its white space. Nothing leads or trails.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace webui::rag {

class TextBuilder {
 public:
  void AddText(std::string_view text) {
    for (const char c : text) {
      const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (pre_depth_ > 0) {
        Flush();
        out_.push_back(c == '\r' ? '\n' : c);
        continue;
      }
      if (space) {
        pending_space_ = true;
        continue;
      }
      Flush();
      out_.push_back(c);
    }
  }

  void Break(int level) {
    pending_break_ = std::max(pending_break_, level);
    pending_space_ = false;
    pending_cell_ = false;
  }

  void Cell() { pending_cell_ = true; }

  void EnterPre() { ++pre_depth_; }
  void LeavePre() {
    if (pre_depth_ > 0) --pre_depth_;
  }

  std::string Finish() { return std::move(out_); }

 private:
  void Flush() {
    if (out_.empty()) {
      pending_break_ = 0;
      pending_space_ = pending_cell_ = false;
      return;
    }
    if (pending_break_ > 0) {
      while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
      out_.append(static_cast<std::size_t>(pending_break_), '\n');
    } else if (pending_cell_) {
      out_.push_back('\t');
    } else if (pending_space_ && out_.back() != '\n' && out_.back() != '\t' && out_.back() != ' ') {
      out_.push_back(' ');
    }
    pending_break_ = 0;
    pending_space_ = pending_cell_ = false;
  }

  std::string out_;
  int pending_break_ = 0;
  bool pending_space_ = false;
  bool pending_cell_ = false;
  int pre_depth_ = 0;
};

}  // namespace webui::rag
