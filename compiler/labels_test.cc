#include "compiler/labels.h"

#include <doctest/doctest.h>

using namespace netpolc;

static LabelRequirement req(const char* key, LabelRequirement::Op op,
                            std::vector<std::string> values = {}) {
  return LabelRequirement{key, op, std::move(values), {}};
}

TEST_CASE("label keys follow the qualified-name rules") {
  for (const char* ok : {"app", "App.Name_1", "k8s-app", "a", "kubernetes.io/metadata.name",
                         "networking/allow-internet-egress", "x.y.example.com/z"}) {
    CAPTURE(ok);
    CHECK_FALSE(check_label_key(ok));
  }
  CHECK(check_label_key("") == "must not be empty");
  CHECK(check_label_key("-app") ==
        "must consist of letters, digits, '-', '_' or '.', and start and end with a letter or "
        "digit");
  CHECK(check_label_key("app_") == check_label_key("-app"));
  CHECK(check_label_key("app name") == check_label_key("-app"));
  CHECK(check_label_key(std::string(63, 'a')) == std::nullopt);
  CHECK(check_label_key(std::string(64, 'a')) == "must be no more than 63 characters");
  CHECK(check_label_key("a/b/c") ==
        "must be a name with an optional DNS subdomain prefix and '/', such as "
        "example.com/my-name");
  CHECK(check_label_key("/app") == "prefix before '/' must not be empty");
  CHECK(check_label_key("example.com/") == "name part after '/' must not be empty");
  CHECK(check_label_key("Example.com/app") ==
        "prefix must be a lower-case DNS subdomain, such as example.com");
  CHECK(check_label_key("example..com/app") == check_label_key("Example.com/app"));
  CHECK(check_label_key("example.com/-app") ==
        "name part must consist of letters, digits, '-', '_' or '.', and start and end with a "
        "letter or digit");
  CHECK(check_label_key(std::string(254, 'a') + "/app") ==
        "prefix must be no more than 253 characters");
}

TEST_CASE("label values may be empty and otherwise look like a key's name part") {
  for (const char* ok : {"", "web", "kube-system", "v1.2_3", "TRUE"}) {
    CAPTURE(ok);
    CHECK_FALSE(check_label_value(ok));
  }
  CHECK(check_label_value(std::string(64, 'a')) == "must be no more than 63 characters");
  CHECK(check_label_value("a/b") ==
        "must be empty or consist of letters, digits, '-', '_' or '.', and start and end with "
        "a letter or digit");
  CHECK(check_label_value("-web").has_value());
  CHECK(check_label_value("web.").has_value());
}

TEST_CASE("namespace names are DNS-1123 labels and object names DNS-1123 subdomains") {
  CHECK_FALSE(check_dns1123_label("kube-system"));
  CHECK(check_dns1123_label("Kube-System").has_value());
  CHECK(check_dns1123_label("a.b").has_value());
  CHECK(check_dns1123_label("-a").has_value());
  CHECK(check_dns1123_label("") == "must not be empty");
  CHECK(check_dns1123_label(std::string(64, 'a')) == "must be no more than 63 characters");
  CHECK_FALSE(check_dns1123_subdomain("allow-dns.v2"));
  CHECK(check_dns1123_subdomain("allow_dns").has_value());
  CHECK(check_dns1123_subdomain("allow..dns").has_value());
  CHECK(check_dns1123_subdomain("allow.-dns").has_value());
  CHECK(check_dns1123_subdomain("Allow").has_value());
  CHECK_FALSE(check_dns1123_subdomain(std::string(253, 'a')));
  CHECK(check_dns1123_subdomain(std::string(254, 'a')) == "must be no more than 253 characters");
}

TEST_CASE("named ports are IANA service names") {
  for (const char* ok : {"http", "dns-tcp", "h2c", "a", "x-1-y", "abcdefghijklmno"}) {
    CAPTURE(ok);
    CHECK_FALSE(check_port_name(ok));
  }
  CHECK(check_port_name("80") == "must contain at least one letter");
  CHECK(check_port_name("abcdefghijklmnop") == "must be no more than 15 characters");
  CHECK(check_port_name("Http") == "must contain only lower-case letters, digits and '-'");
  CHECK(check_port_name("http_alt") == "must contain only lower-case letters, digits and '-'");
  CHECK(check_port_name("dns--tcp") == "must not contain '--'");
  CHECK(check_port_name("-dns") == "must not begin or end with '-'");
  CHECK(check_port_name("dns-") == "must not begin or end with '-'");
  CHECK(check_port_name("") == "must not be empty");
}

TEST_CASE("In matches only when the key is present with a listed value") {
  auto r = req("tier", LabelRequirement::Op::In, {"web", "api"});
  CHECK(requirement_matches(r, {{"tier", "web"}}));
  CHECK_FALSE(requirement_matches(r, {{"tier", "db"}}));
  CHECK_FALSE(requirement_matches(r, {}));
}

TEST_CASE("NotIn matches when the key is absent or its value is not listed") {
  auto r = req("tier", LabelRequirement::Op::NotIn, {"db"});
  CHECK(requirement_matches(r, {}));
  CHECK(requirement_matches(r, {{"app", "db"}}));
  CHECK(requirement_matches(r, {{"tier", "web"}}));
  CHECK_FALSE(requirement_matches(r, {{"tier", "db"}}));
}

TEST_CASE("Exists and DoesNotExist look only at the key") {
  CHECK(requirement_matches(req("tier", LabelRequirement::Op::Exists), {{"tier", ""}}));
  CHECK_FALSE(requirement_matches(req("tier", LabelRequirement::Op::Exists), {{"app", "x"}}));
  CHECK(requirement_matches(req("tier", LabelRequirement::Op::DoesNotExist), {{"app", "x"}}));
  CHECK_FALSE(requirement_matches(req("tier", LabelRequirement::Op::DoesNotExist), {{"tier", ""}}));
}

TEST_CASE("an empty selector matches everything, even no labels") {
  CHECK(selector_matches({}, {}));
  CHECK(selector_matches({}, {{"app", "web"}}));
}

TEST_CASE("matchLabels and matchExpressions must all match") {
  LabelSelector s;
  s.match_labels = {{"app", "web"}, {"env", "prod"}};
  CHECK(selector_matches(s, {{"app", "web"}, {"env", "prod"}, {"extra", "1"}}));
  CHECK_FALSE(selector_matches(s, {{"app", "web"}}));
  CHECK_FALSE(selector_matches(s, {{"app", "web"}, {"env", "dev"}}));
  s.match_expressions.push_back(req("canary", LabelRequirement::Op::DoesNotExist));
  CHECK(selector_matches(s, {{"app", "web"}, {"env", "prod"}}));
  CHECK_FALSE(selector_matches(s, {{"app", "web"}, {"env", "prod"}, {"canary", "true"}}));
}
