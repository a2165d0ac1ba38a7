"""Build common-passwords.txt: predictable passwords the policy would accept.

Run from the repository root with the project's virtualenv:

    .venv/bin/python payportal/accounts/data/build_common_passwords.py

Offline and deterministic: the inputs are Django's own list of the 20,000
most common passwords (shipped with Django) and the word lists below. The
output keeps only candidates that pass the rest of the portal's policy
(12-128 characters with a letter and a digit) and are not already in
Django's list, lower-cased (the check ignores case), sorted.
"""

import gzip
from itertools import product
from pathlib import Path

from django.contrib.auth import password_validation

OUT = Path(__file__).resolve().parent / "common-passwords.txt"
DJANGO_LIST = Path(password_validation.__file__).resolve().parent / (
    "common-passwords.txt.gz"
)

# Words people build passwords from at work, and the defaults an attacker
# tries first against a payments portal of a law firm.
WORK_WORDS = """
password passw0rd p@ssword p@ssw0rd pa55word pa$$word welcome welcome1
letmein changeme change changeit secret access login logon admin
administrator sysadmin superuser manager default temp temporary newuser
newpassword mypassword user guest master qwerty iloveyou trustno1
payportal portal payment payments payroll invoice invoices billing finance
accounts accounting merchant refund refunds chargeback checkout card visa
mastercard amex stripe paypal bank banking money cash office company
business corporate enterprise security secure lawfirm lawyer lawyers
attorney attorneys counsel counselor paralegal legal justice court
courthouse litigation partner partners associate barrister solicitor
client clients trust trustaccount escrow retainer matter
""".split()

SEASONS_MONTHS_DAYS = """
spring summer autumn winter fall january february march april may june
july august september october november december monday tuesday wednesday
thursday friday saturday sunday christmas easter holiday
""".split()

KEYBOARD_WALKS = """
qwerty qwertyui qwertyuiop asdfgh asdfghjk asdfghjkl zxcvbn zxcvbnm
qazwsx qazwsxedc qazxsw 1qaz2wsx 1qaz2wsx3edc 1qaz2wsx3edc4rfv zaq12wsx
zaq1xsw2 zaq1zaq1 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e4r5t6y7u
q1w2e3r4 q1w2e3r4t5 q1w2e3r4t5y6 qweasd qweasdzxc 1234qwer 1234qwerasdf
1234qwerasdfzxcv qwer1234 asdf1234 zxcv1234 123qwe 123qweasd 123qweasdzxc
!qaz2wsx !qaz@wsx 1qaz!qaz 1qaz@wsx qwe123 asd123 zxc123 abc123 abcd1234
aaaa1111 a1b2c3d4 a1b2c3d4e5 a1s2d3f4 1a2b3c4d
""".split()

YEARS = [str(year) for year in range(1990, 2031)]
RECENT_YEARS = [str(year) for year in range(2015, 2031)]
NUMBERS = [
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "01",
    "007",
    "69",
    "99",
    "111",
    "000",
    "321",
    "4321",
    "54321",
    "2468",
]
SEPARATORS = ["@", "#", "_", "-", "."]
ENDINGS = ["", "!", "?"]


def passes_policy(candidate: str) -> bool:
    return (
        12 <= len(candidate) <= 128
        and any(c.isalpha() for c in candidate)
        and any(c.isdigit() for c in candidate)
    )


def django_words() -> list[str]:
    with gzip.open(DJANGO_LIST, "rt", encoding="utf-8") as f:
        return [line.strip() for line in f]


def candidates(top_words: list[str]) -> set[str]:
    found: set[str] = set()
    words = WORK_WORDS + SEASONS_MONTHS_DAYS
    # A word, a year, an optional ending: "Password2026?", "welcome1999!";
    # with a separator for recent years: "Welcome@2025!", "summer_2024".
    for word, year, end in product(words, YEARS, ENDINGS):
        found.add(f"{word}{year}{end}")
    for word, sep, year in product(words, SEPARATORS, RECENT_YEARS):
        end = "!" if sep == "@" else ""
        found.add(f"{word}{sep}{year}{end}")
    # A word and a counting run: "Password123456", "welcome1234!".
    for word, number, end in product(words, NUMBERS, ENDINGS):
        found.add(f"{word}{number}{end}")
    for word, number in product(words, NUMBERS):
        found.add(f"{word}@{number}")
    # The same with the most common words of Django's list (ordered by
    # frequency), with the years and runs people add to reach a length.
    for word, tail, end in product(top_words, RECENT_YEARS + NUMBERS[4:], ["", "!"]):
        found.add(f"{word}{tail}{end}")
    # Two words and a year: "SummerPassword2024", "Welcome2Portal2025".
    for first, second in product(SEASONS_MONTHS_DAYS[:4], WORK_WORDS[:12]):
        for year in RECENT_YEARS:
            found.add(f"{first}{second}{year}")
            found.add(f"{second}{first}{year}")
    # Keyboard walks, doubled or with a year or an ending.
    for walk in KEYBOARD_WALKS:
        found.add(walk + walk)
        for tail, end in product(["", *RECENT_YEARS, *NUMBERS[2:]], ENDINGS):
            found.add(f"{walk}{tail}{end}")
    return found


def main() -> None:
    django_list = django_words()
    django_set = set(django_list)
    top = [w for w in django_list if w.isalpha() and w.isascii() and 6 <= len(w) <= 10][
        :200
    ]
    entries = sorted(
        c.lower()
        for c in candidates(top)
        if passes_policy(c) and c.lower() not in django_set
    )
    entries = sorted(set(entries))
    header = [
        "# PayPortal's common-password blocklist (ASVS 5.0 6.2.4), used with",
        "# Django's own list by validators.CommonPasswordBlocklistValidator.",
        "# Lower case; the check ignores case. Built offline by",
        "# build_common_passwords.py in this folder; see README.md.",
        f"# {len(entries)} entries, each 12-128 characters with a letter and a",
        "# digit, none already in Django's list.",
    ]
    OUT.write_text("\n".join(header + entries) + "\n", encoding="utf-8")
    print(f"Wrote {len(entries)} entries to {OUT}")


if __name__ == "__main__":
    main()
