from index.concepts import Concept, ConceptMatcher, slugify

MATCHER = ConceptMatcher([
    Concept("redis", "Redis"),
    Concept("redis-geo", "Redis GEO", ("GEOADD",)),
    Concept("hls", "HLS"),
    Concept("ll-hls", "LL-HLS", ("low-latency HLS",)),
    Concept("consumer-groups", "consumer groups", ("consumer group",)),
    Concept("consistent-hashing", "consistent hashing", ("hash ring",)),
    Concept("dash", "DASH", ("MPEG-DASH",), match_case=True),
    Concept("trie", "trie"),
])


def test_case_insensitive_alias_aware_matching():
    assert MATCHER.find("The HASH RING places keys; consistent Hashing again") == [
        "consistent-hashing"]
    assert MATCHER.count("hash ring and consistent hashing")["consistent-hashing"] == 2


def test_word_boundaries():
    assert MATCHER.find("We rediscover Redisson and predis") == []
    assert MATCHER.find("a Redis-backed cache") == ["redis"]


def test_longest_term_wins_and_plural_matches():
    assert MATCHER.find("LL-HLS segments") == ["ll-hls"]
    assert MATCHER.find("Redis GEO radius") == ["redis-geo"]
    assert MATCHER.find("two consumer group members, many consumer groups") == ["consumer-groups"]


def test_resolve_and_suggest():
    assert MATCHER.resolve("Hash Ring").id == "consistent-hashing"
    assert MATCHER.resolve("consistent-hashing").id == "consistent-hashing"
    assert MATCHER.resolve("nothing like it") is None
    assert "consistent hashing" in MATCHER.suggest("consistant hashing")


def test_suggest_prefers_the_closest_name_or_alias():
    matcher = ConceptMatcher([
        Concept("apache-kafka", "Apache Kafka", ("Kafka",)),
        Concept("kraft", "KRaft"),
        Concept("waf", "WAF"),
        Concept("grafana", "Grafana"),
    ])
    assert matcher.suggest("kafak")[0] == "Apache Kafka"
    assert matcher.suggest("grafna")[0] == "Grafana"
    assert matcher.suggest("zzzz") == []


def test_slugify():
    assert slugify("Pub/Sub & CQRS") == "pub-sub-cqrs"


def test_match_case_concepts_need_their_capitalisation():
    assert MATCHER.find("HLS or DASH manifests") == ["hls", "dash"]
    assert MATCHER.find("a dash of salt") == []
    assert MATCHER.find("MPEG-DASH") == ["dash"]
    assert MATCHER.resolve("dash").id == "dash"


def test_short_lower_case_terms_take_no_plural():
    assert MATCHER.find("a trie of prefixes") == ["trie"]
    assert MATCHER.find("the client tries again") == []
    assert ConceptMatcher([Concept("sfu", "SFU")]).find("cascaded SFUs") == ["sfu"]
