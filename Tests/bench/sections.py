"""One marked section of docs/benchmarks.md, rewritten in place (appended when absent), so
each bench script owns its section and keeps the others."""
import os


def write_section(out, start, end, section):
    text = open(out).read() if os.path.exists(out) else ""
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(out, "w") as f:
        f.write(text)
