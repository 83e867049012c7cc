// The pure parts of web search: the domain filter (WEB_SEARCH_DOMAIN_FILTER_LIST) and the query
// strings sent to engines. The engines themselves are tested over HTTP (tests/rag_web_it_test.cpp).
#include "web_search.hpp"

#include <gtest/gtest.h>

namespace webui::rag {
namespace {

using nlohmann::json;

TEST(DomainFilter, HostsEndingWithAnEntryPass) {
  const json list = {"example.com", "docs.python.org"};
  EXPECT_TRUE(DomainAllowed("https://example.com/a", list));
  EXPECT_TRUE(DomainAllowed("https://www.Example.COM:8443/a?b#c", list));
  EXPECT_TRUE(DomainAllowed("http://docs.python.org/3/", list));
  EXPECT_FALSE(DomainAllowed("https://python.org/", list));
  EXPECT_FALSE(DomainAllowed("https://notexample.com/", list)) << "whole labels only";
  EXPECT_FALSE(DomainAllowed("https://example.org/", list));
  // The host is the part after any credentials, never a path or a query that mentions a domain.
  EXPECT_FALSE(DomainAllowed("https://evil.test/example.com", list));
  EXPECT_FALSE(DomainAllowed("https://evil.test/?u=example.com", list));
  EXPECT_FALSE(DomainAllowed("https://example.com@evil.test/", list));
  EXPECT_FALSE(DomainAllowed("not a url", list));
}

TEST(DomainFilter, BangEntriesExcludeAndAnEmptyListPassesAll) {
  EXPECT_TRUE(DomainAllowed("https://anything.test/", json::array()));
  EXPECT_TRUE(DomainAllowed("https://anything.test/", nullptr));
  const json block = {"!pinterest.com"};
  EXPECT_FALSE(DomainAllowed("https://www.pinterest.com/pin/1", block));
  EXPECT_TRUE(DomainAllowed("https://example.com/", block));
  const json both = {"example.com", "!ads.example.com"};
  EXPECT_TRUE(DomainAllowed("https://www.example.com/", both));
  EXPECT_FALSE(DomainAllowed("https://ads.example.com/", both));
  EXPECT_TRUE(DomainAllowed("http://[2001:db8::1]:8080/", json{"2001:db8::1"}));
}

TEST(QueryString, ParametersArePercentEncodedAndAppended) {
  EXPECT_EQ(WithQuery("http://s/search", {{"q", "a b&c=d/é"}, {"format", "json"}}),
            "http://s/search?q=a%20b%26c%3Dd%2F%C3%A9&format=json");
  EXPECT_EQ(WithQuery("http://s/search?lang=en", {{"q", "x"}}), "http://s/search?lang=en&q=x");
  EXPECT_EQ(WithQuery("http://s/search?", {{"q", "x"}}), "http://s/search?q=x");
  EXPECT_EQ(WithQuery("http://s/search", {}), "http://s/search");
}

}  // namespace
}  // namespace webui::rag
