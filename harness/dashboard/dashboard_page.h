// The dashboard's one page (harness/dashboard/dashboard_page.html: its CSS and script inline, no outside asset),
// compiled into the binary by CMake so that `harness serve` works from any folder.
#pragma once

#include <string_view>

namespace harness::dashboard {

std::string_view page_html();

}  // namespace harness::dashboard
