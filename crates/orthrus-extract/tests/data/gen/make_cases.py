"""Regenerates ../cases.jsonl (run from this directory: python3 make_cases.py)."""

import email_en
import email_intl
from mail import write
from sms_cases import SMS

if __name__ == "__main__":
    write("../cases.jsonl", SMS + email_en.cases() + email_intl.cases())
