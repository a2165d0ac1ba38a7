"""Time some of the portal's pages on their own: each page's requests one
after another, with no admin request between (bench/compare.py takes
turns with the admin, whose multi-second searches slow the request after
them).

    export PAYPORTAL_DATA_DIR=/tmp/pp-bench   # or DATABASE_URL=...
    .venv/bin/python bench/alone.py [--runs 15] URL [URL ...]

Signs in as the administrator of the firm with the most payments (as
bench/compare.py does) and prints median and p95 per URL, in ms, after one
warm-up request. Not part of the test suite.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench/alone.py", description="Time our pages on their own."
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("urls", nargs="+", metavar="URL")
    args = parser.parse_args(argv)
    from bench.compare import bench_django, pick_firms, signed_in_client

    with bench_django():
        from bench.timing import time_pages

        firm, _ = pick_firms(None)
        client, login = signed_in_client(firm)
        print(f"{firm.name}, signed in as {login}; {args.runs} runs each")
        for url in args.urls:
            (timing,) = time_pages(client, [url], args.runs)
            print(
                f"{url:50} median {timing.median_ms:6.1f} ms  "
                f"p95 {timing.p95_ms:6.1f} ms  {timing.queries} queries"
            )


if __name__ == "__main__":
    main()
