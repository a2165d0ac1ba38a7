"""The pieces of core/search.py that need no database."""

from payportal.core.search import Gram, grams, rarest


def keys(term, *, words):
    return [gram.key for gram in grams(term, words=words)]


def test_sqlite_grams_are_every_three_characters_of_the_term():
    assert keys("Jo Sm", words=False) == ["jo ", "o s", " sm"]


def test_sqlite_grams_skip_repeats_ignoring_case():
    assert keys("abcABC", words=False) == ["abc", "bca", "cab"]


def test_postgres_grams_are_inside_words_and_at_word_ends():
    assert grams("john smith", words=True) == [
        Gram("joh", "joh"),
        Gram("ohn", "ohn"),
        Gram("hn ", "hn "),
        Gram("smi", "smi"),
        Gram("mit", "mit"),
        Gram("ith", "ith"),
    ]
    assert keys("INV-0100", words=True) == ["inv", "nv ", "010", "100"]


def test_a_term_without_trigrams_has_no_grams():
    assert grams("ab", words=False) == []
    assert grams("a.b-c@d", words=True) == []


def test_rarest_takes_the_rare_grams_and_leaves_the_common_ones():
    sample = [
        ("INV-0100000001", "a@example.com"),
        ("INV-0100000002", "b@example.com"),
        ("INV-0100000003", "c@example.com"),
        ("INV-0100000777", "d@example.com"),
    ]

    for words in (True, False):
        term_grams = grams("INV-0100777777", words=words)
        assert rarest(term_grams, sample, words=words) == ["007", "077", "777"]


def test_rarest_counts_what_the_index_holds():
    # pg_trgm: "hn " is in "John.Smith" (a word ends there), not in "Johnson".
    sample = [("Johnson",), ("Johnson",), ("Johnson",), ("John.Smith",), ("Johnny",)]

    assert rarest(grams("john ", words=True), sample, words=True) == ["hn "]


def test_rarest_keeps_the_rarest_gram_however_common():
    sample = [("smith",), ("smithson",)]

    assert rarest(grams("smit", words=False), sample, words=False) == ["smi"]
