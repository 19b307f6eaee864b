// Renderers of the review report (provenance/report.h): Markdown for Obsidian and one
// self-contained HTML file. Internal: callers use RenderReport().
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_REPORT_RENDER_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_REPORT_RENDER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "provenance/report.h"

namespace factdedup::provenance::internal {

std::string RenderMarkdownReport(const Report& report);
std::string RenderHtmlReport(const Report& report);

// "0.87".
std::string FormatSimilarity(double similarity);
// A conflict's suggestion without its leading "suggestion: " (the renderers label it).
std::string SuggestionBody(absl::string_view suggestion);
// The title of the note at `path`, else `path`.
std::string TitleOf(const Report& report, const std::string& path);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_REPORT_RENDER_H_
